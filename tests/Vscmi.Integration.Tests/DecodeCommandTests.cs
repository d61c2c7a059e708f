using System.Text.Json;

namespace Vscmi.Integration.Tests;

public class DecodeCommandTests
{
    [Fact]
    public void Decodes_the_readme_example()
    {
        var (exit, stdout, stderr) = CliProcess.Run("decode", "06501400", "03000000");
        Assert.True(exit == 0, stderr);
        Assert.Equal("CLOCK 0x14 CLOCK_RATE_GET command token=5 clock_id=3", stdout.Trim());
    }

    [Fact]
    public void Accepts_header_words_written_as_0x_values()
    {
        var (exit, stdout, _) = CliProcess.Run("decode", "0x00145006", "03000000");
        Assert.Equal(0, exit);
        Assert.Equal("CLOCK 0x14 CLOCK_RATE_GET command token=5 clock_id=3", stdout.Trim());
    }

    [Fact]
    public void Prints_json()
    {
        var (exit, stdout, _) = CliProcess.Run("decode", "--json", "06500400", "00000000", "00CA9A3B", "00000000");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("CLOCK_RATE_GET", json.RootElement.GetProperty("message").GetString());
        Assert.Equal("response", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("SUCCESS", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(1_000_000_000ul, json.RootElement.GetProperty("fields").GetProperty("rate").GetUInt64());
    }

    [Fact]
    public void Asks_for_command_or_response_when_ambiguous()
    {
        var (exit, _, stderr) = CliProcess.Run("decode", "06501400", "FCFFFFFF");
        Assert.Equal(1, exit);
        Assert.Contains("ambiguous", stderr, StringComparison.Ordinal);
        Assert.Contains("--command or --response", stderr, StringComparison.Ordinal);

        var (exit2, stdout, _) = CliProcess.Run("decode", "--response", "06501400", "FCFFFFFF");
        Assert.Equal(0, exit2);
        Assert.Equal("CLOCK 0x14 CLOCK_RATE_GET response token=5 status=NOT_FOUND", stdout.Trim());
    }

    [Fact]
    public void Decodes_notifications_and_delayed_responses()
    {
        var (exit, stdout, _) = CliProcess.Run("decode", "01570000", "00000000", "02000000", "E8030000", "00000000", "64000000", "00000000");
        Assert.Equal(0, exit);
        Assert.Equal("SENSOR 0x15 SENSOR_UPDATE notification agent_id=0 sensor_id=2 readings=[{value=1000 timestamp=100}]", stdout.Trim());
    }

    [Theory]
    [InlineData("zz", 2, "not a hex byte")]
    [InlineData("065014", 1, "4-byte header")]
    // A bare header is neither a CLOCK_RATE_GET command (it has a clock_id) nor a response (no status).
    [InlineData("06501400", 1, "as a command: message too short: needs 4 more byte(s)")]
    [InlineData("06501400 0300", 1, "too short")]
    [InlineData("06501400 03000000 00", 1, "trailing")]
    [InlineData("06501490", 1, "reserved bits")]
    [InlineData("06F01400", 1, "unknown protocol 0x3C")]
    [InlineData("7F501400", 1, "unknown CLOCK message 0x7F")]
    public void Reports_malformed_input_clearly(string hex, int expectedExit, string expectedText)
    {
        var (exit, _, stderr) = CliProcess.Run(["decode", .. hex.Split(' ')]);
        Assert.Equal(expectedExit, exit);
        Assert.Contains(expectedText, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Lenient_mode_accepts_reserved_bits()
    {
        // CLOCK_ATTRIBUTES response whose attributes word has reserved bit 12 set.
        string[] message = ["03501400", "00000000", "00100000", "75617274000000000000000000000000", "00000000"];
        var (exit, _, stderr) = CliProcess.Run(["decode", "--response", .. message]);
        Assert.Equal(1, exit);
        Assert.Contains("reserved bits", stderr, StringComparison.Ordinal);

        var (lenientExit, stdout, _) = CliProcess.Run(["decode", "--response", "--lenient", .. message]);
        Assert.Equal(0, lenientExit);
        Assert.Contains("name=\"uart\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_explains_the_hex_forms()
    {
        var (exit, stdout, _) = CliProcess.Run("decode", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("little-endian", stdout, StringComparison.Ordinal);
        Assert.Contains("--response", stdout, StringComparison.Ordinal);
    }
}

using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests;

/// <summary>
/// The checked-in bit-field constants are what the descriptions say today. When a description
/// changes, this fails; <c>VSCMI_UPDATE_GENERATED=1 ./test</c> (or this test alone) rewrites the file.
/// </summary>
public sealed class GeneratedCodeTests
{
    private static string FindFile(string name = "BitFields.g.cs")
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Vscmi.slnx")))
            directory = directory.Parent;
        Assert.NotNull(directory);
        return Path.Combine(directory.FullName, "src", "Vscmi.Protocol", "Generated", name);
    }

    public static TheoryData<string> GeneratedFiles => ["BitFields.g.cs", "Messages.g.cs"];

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void The_generated_files_are_current(string name)
    {
        var path = FindFile(name);
        var expected = name == "BitFields.g.cs" ? BitConstants.Generate() : MessageRecords.Generate();
        if (Environment.GetEnvironmentVariable("VSCMI_UPDATE_GENERATED") == "1")
            File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), $"{path} is missing: run VSCMI_UPDATE_GENERATED=1 ./test");
        var actual = File.ReadAllText(path);
        Assert.True(actual == expected, $"{path} is stale: the descriptions changed. Run VSCMI_UPDATE_GENERATED=1 ./test and commit the result.");
    }

    [Fact]
    public void The_constants_are_the_descriptions_bits()
    {
        // A few read back through the catalog: the generator writes what the descriptions say.
        Assert.Equal(0x1u, Fields.ClockBits.ClockRateSet.Request.Flags.Async);
        Assert.Equal(2, Fields.ClockBits.ClockRateSet.Request.Flags.RoundingShift);
        Assert.Equal(0xCu, Fields.ClockBits.ClockRateSet.Request.Flags.RoundingMask);
        Assert.Equal(0x80000000u, Fields.SensorBits.SensorDescriptionGet.Response.AttributesLow.AsyncRead);
        var flags = Protocols.ScmiCatalog.Get(ScmiProtocolId.CLOCK).FindMessage(0x5)!.Request.Fields.OfType<BitsSpec>().Single();
        Assert.Equal(Fields.ClockBits.ClockRateSet.Request.Flags.Reserved, flags.ReservedMask);
    }
}

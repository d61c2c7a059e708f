using System.Buffers.Binary;

namespace Vscmi.Platform.Tests;

/// <summary>
/// The hot path — a message in, a reply out — allocates nothing once a session exists. This is
/// a count of bytes, not a timing: deterministic on any machine.
/// </summary>
public class HotPathTests
{
    [Theory]
    [InlineData(new uint[] { 0x00004000 })]                     // BASE PROTOCOL_VERSION
    [InlineData(new uint[] { 0x00005006, 3 })]                  // CLOCK_RATE_GET
    [InlineData(new uint[] { 0x00005005, 0, 3, 200000000, 0 })] // CLOCK_RATE_SET
    [InlineData(new uint[] { 0x00005406, 0, 0 })]               // SENSOR_READING_GET (sine source)
    [InlineData(new uint[] { 0x00004C08, 1 })]                  // PERFORMANCE_LEVEL_GET
    [InlineData(new uint[] { 0x00004C07, 1, 1600 })]            // PERFORMANCE_LEVEL_SET
    [InlineData(new uint[] { 0x00004405, 0 })]                  // POWER_STATE_GET
    [InlineData(new uint[] { 0x00005C08, 0 })]                  // VOLTAGE_LEVEL_GET
    [InlineData(new uint[] { 0x00005403, 0 })]                  // SENSOR_DESCRIPTION_GET (a list)
    public void Handling_a_message_allocates_nothing(uint[] words)
    {
        var platform = new ScmiPlatform(Vscmi.Platform.Model.ModelLoader.LoadDefault());
        var session = platform.OpenSession(1);
        var request = BaseAndDispatchTests.Words(words);
        var reply = new byte[session.ReplyBufferSize];
        for (var i = 0; i < 100; i++)
            platform.Handle(session, request, reply); // warm up (JIT, lazy statics)

        var allocated = Allocations.LeastOfThreeRounds(() =>
        {
            for (var i = 0; i < 1000; i++)
                platform.Handle(session, request, reply);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(words[0], BinaryPrimitives.ReadUInt32LittleEndian(reply));
    }
}

namespace Vscmi.Protocol.Tests.Golden;

public static partial class GoldenVectors
{
    /// <summary>vscmi's vendor protocol (0x80).</summary>
    public static readonly TheoryData<string, string, string> Vscmi = new()
    {
        { "c", "00060000", "VSCMI 0x80 PROTOCOL_VERSION command token=1" },
        { "r", "00060000 00000000 00010000", "VSCMI 0x80 PROTOCOL_VERSION response token=1 status=SUCCESS version=0x10000" },
        { "c", "00060001", "VSCMI 0x80 PROTOCOL_ATTRIBUTES command token=1" },
        { "r", "00060001 00000000 00000000", "VSCMI 0x80 PROTOCOL_ATTRIBUTES response token=1 status=SUCCESS" },
        { "c", "00060002 00000003", "VSCMI 0x80 PROTOCOL_MESSAGE_ATTRIBUTES command token=1 message_id=0x3" },
        { "r", "00060002 00000000 00000000", "VSCMI 0x80 PROTOCOL_MESSAGE_ATTRIBUTES response token=1 status=SUCCESS attributes=0x0" },
        { "c", "00060010 00010000", "VSCMI 0x80 NEGOTIATE_PROTOCOL_VERSION command token=1 version=0x10000" },
        { "r", "00060010 00000000", "VSCMI 0x80 NEGOTIATE_PROTOCOL_VERSION response token=1 status=SUCCESS" },
        { "c", "00060003 00000002 00000001 00000000 00007530", "VSCMI 0x80 VSCMI_AGENT_SYSTEM_POWER_NOTIFY command token=1 agent_id=2 graceful=1 system_state=shutdown timeout_ms=30000" },
        { "r", "00060003 00000000", "VSCMI 0x80 VSCMI_AGENT_SYSTEM_POWER_NOTIFY response token=1 status=SUCCESS" },
        { "r", "00060003 FFFFFFFF", "VSCMI 0x80 VSCMI_AGENT_SYSTEM_POWER_NOTIFY response token=1 status=NOT_SUPPORTED" },
    };

    /// <summary>SCMI 2.0 layouts (decoded with <c>--release 2.0</c>): the forms Linux parses for older firmware.</summary>
    public static readonly TheoryData<string, string, string> Release20 = new()
    {
        { "r", "00045003 00000000 00000001 n16:pll_little", "CLOCK 0x14 CLOCK_ATTRIBUTES response token=1 status=SUCCESS enabled=1 name=\"pll_little\"" },
        { "c", "00045007 00000005 00000001", "CLOCK 0x14 CLOCK_CONFIG_SET command token=1 clock_id=5 state=enable" },
        { "r", "00044C04 00000000 00000001 000001F4 0000003C 0000012C", "PERF 0x13 PERFORMANCE_DESCRIBE_LEVELS response token=1 status=SUCCESS returned=1 remaining=0 levels=[{performance_level=500 power_cost=60 transition_latency_us=300}]" },
        { "r", "00045406 00000000 00000384 00000000", "SENSOR 0x15 SENSOR_READING_GET response token=1 status=SUCCESS readings=[{value=900}]" },
        { "d", "00045606 00000000 00000003 00000546 00000000", "SENSOR 0x15 SENSOR_READING_GET delayed-response token=1 status=SUCCESS sensor_id=3 value=1350" },
        { "r", "00045403 00000000 00000001 00000000 80000002 0800E802 n16:cpu_temp", "SENSOR 0x15 SENSOR_DESCRIPTION_GET response token=1 status=SUCCESS returned=1 remaining=0 descriptors=[{sensor_id=0 async_read=1 num_trip_points=2 update_interval_seconds=1 update_interval_exponent=0 unit_exponent=-3 sensor_type=degrees_c name=\"cpu_temp\"}]" },
        { "n", "00004B00 00000001 00000001 00000000", "SYSTEM 0x12 SYSTEM_POWER_STATE_NOTIFIER notification agent_id=1 graceful=1 system_state=shutdown" },
    };
}

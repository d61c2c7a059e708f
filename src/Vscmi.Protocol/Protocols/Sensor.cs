using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class SensorProtocol
{
    /// <summary>One reading: a signed value and a timestamp, 16 bytes (v2.0+).</summary>
    private static readonly Layout Reading = Of(S64("value"), U64("timestamp"));

    /// <summary>resolution: 26:0 value, 31:27 signed power-of-ten exponent.</summary>
    private static BitsSpec Resolution() =>
        Bits("resolution", Field("resolution_value", 0, 27), Signed("resolution_exponent", 27, 5));

    private static readonly FieldCondition HasExtendedAttributes = FieldCondition.Is("extended_attributes", 1);

    /// <summary>
    /// Sensor descriptor: 28 bytes; 52 with extended attributes on a scalar sensor; 32 with extended
    /// attributes on a multi-axis sensor (the strides Linux 6.12 parses; reference 2.6).
    /// </summary>
    private static readonly Layout Descriptor = DescriptorWith(extendedName: true);

    /// <summary>A v2.0 sensor descriptor (SCMI 3.0): as v3.0 without the extended-name bit.</summary>
    private static readonly Layout DescriptorV2 = DescriptorWith(extendedName: false);

    private static Layout DescriptorWith(bool extendedName) => Of(
        U32("sensor_id"),
        Bits("attributes_low",
        [
            Flag("async_read", 31), Flag("continuous_update_notify", 30), .. (extendedName ? [Flag("extended_name", 29)] : System.Array.Empty<BitFieldSpec>()),
            Signed("timestamp_exponent", 10, 5), Flag("timestamps", 9), Flag("extended_attributes", 8),
            Field("num_trip_points", 0, 8),
        ]),
        Bits("attributes_high",
            Field("num_axes", 16, 6), Signed("unit_exponent", 11, 5), Flag("multi_axis", 8),
            Field("sensor_type", 0, 8, Shared.SensorUnits)),
        Name16(),
        When("extended attributes", HasExtendedAttributes, U32("sensor_power_uw")),
        When("extended attributes of a scalar sensor",
            FieldCondition.All(HasExtendedAttributes, FieldCondition.Any(FieldCondition.Is("multi_axis", 0), FieldCondition.Is("num_axes", 0))),
            Resolution(), S64("min_range"), S64("max_range")));

    /// <summary>
    /// A v1.0 sensor descriptor (SCMI 2.0): 28 bytes, no extended attributes; attributes_high
    /// carries the update interval (31:27 multiplier, 26:22 exponent; reference 2.6).
    /// </summary>
    private static readonly Layout DescriptorV1 = Of(
        U32("sensor_id"),
        Bits("attributes_low", Flag("async_read", 31), Field("num_trip_points", 0, 8)),
        Bits("attributes_high",
            Field("update_interval_seconds", 27, 5), Signed("update_interval_exponent", 22, 5),
            Signed("unit_exponent", 11, 5), Field("sensor_type", 0, 8, Shared.SensorUnits)),
        Name16());

    /// <summary>Sensor v2.0 (SCMI 3.0): axes, update intervals, configuration, continuous updates, timestamped readings.</summary>
    private const uint V2 = 0x20000;

    /// <summary>Sensor v3.0 (SCMI 3.1): extended names.</summary>
    private const uint V3 = 0x30000;

    /// <summary>Axis descriptor: 28 bytes, 48 with extended attributes.</summary>
    private static readonly Layout Axis = Of(
        U32("axis_id"),
        Bits("attributes_low", Flag("extended_name", 9), Flag("extended_attributes", 8)),
        Bits("attributes_high", Signed("unit_exponent", 11, 5), Field("axis_type", 0, 8, Shared.SensorUnits)),
        Name16(),
        When("extended attributes", HasExtendedAttributes, Resolution(), S64("min_range"), S64("max_range")));

    private static BitsSpec SensorConfig(bool withRounding)
    {
        var fields = new List<BitFieldSpec>
        {
            Field("update_interval_seconds", 16, 16), Signed("update_interval_exponent", 11, 5),
            Flag("timestamping", 1), Flag("enabled", 0),
        };
        if (withRounding)
            fields.Add(Field("rounding", 9, 2, Names((0, "down"), (1, "up"), (2, "auto"))));
        return Bits("sensor_config", [.. fields]);
    }

    private static NumberSpec SensorId() => ResourceId("sensor_id");

    private static BitsSpec AxisCount() => Bits("num_axis_flags", Field("returned", 0, 6), Field("remaining", 26, 6));

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.SENSOR, "SENSOR", 0x30001)
        .Common(Of(Bits("attributes", Field("num_sensors", 0, 16), Field("max_async_requests", 16, 8)),
            U64("sensor_reg_address", NumberDisplay.Hex), U32("sensor_reg_len")))
        .Command(SensorMessageId.SENSOR_DESCRIPTION_GET, Of(U32("desc_index")),
            Of(Shared.ListCount("num_sensor_flags"), Records("descriptors", "returned", Descriptor)))
        .Before(SensorMessageId.SENSOR_DESCRIPTION_GET, V3, response: Of(Shared.ListCount("num_sensor_flags"), Records("descriptors", "returned", DescriptorV2)))
        .Before(SensorMessageId.SENSOR_DESCRIPTION_GET, V2, response: Of(Shared.ListCount("num_sensor_flags"), Records("descriptors", "returned", DescriptorV1)))
        .Command(SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, Of(SensorId(), Bits("event_control", Flag("event_control", 0))), Layout.Empty)
        .Command(SensorMessageId.SENSOR_TRIP_POINT_CONFIG,
            Of(SensorId(),
                Bits("trip_point_ev_ctrl",
                    Field("direction", 0, 2, Names((0, "disabled"), (1, "positive"), (2, "negative"), (3, "both"))),
                    Field("trip_point_id", 4, 8)),
                S64("trip_point_value")),
            Layout.Empty)
        .Command(SensorMessageId.SENSOR_READING_GET, Of(SensorId(), Bits("flags", Flag("async", 0))),
            Of(RestRecords("readings", Reading)),
            delayedResponse: Of(SensorId(), RestRecords("readings", Reading)))
        // v1.0: one 64-bit value, no timestamp (reference 2.6); an accepted asynchronous read answers
        // with the status alone, the value following in the delayed response.
        .Before(SensorMessageId.SENSOR_READING_GET, V2, response: Of(RestRecords("readings", Of(S64("value")))), delayedResponse: Of(SensorId(), S64("value")))
        .Command(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, Of(SensorId(), U32("axis_desc_index")),
            Of(AxisCount(), Records("axes", "returned", Axis)), since: V2)
        .Command(SensorMessageId.SENSOR_LIST_UPDATE_INTERVALS, Of(SensorId(), U32("index")),
            Of(Shared.TripletRule, Shared.ListCountWithFormat("num_intervals_flags", "segmented"),
                Records("intervals", "returned", Of(Bits("interval", Field("seconds", 5, 16), Signed("exponent", 0, 5))))), since: V2)
        .Command(SensorMessageId.SENSOR_CONFIG_GET, Of(SensorId()), Of(SensorConfig(withRounding: false)), since: V2)
        .Command(SensorMessageId.SENSOR_CONFIG_SET, Of(SensorId(), SensorConfig(withRounding: true)), Layout.Empty, since: V2)
        .Command(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, Of(SensorId(), Shared.NotifyEnable()), Layout.Empty, since: V2)
        .Command(SensorMessageId.SENSOR_NAME_GET, Of(SensorId()), Shared.ExtendedName, since: V3)
        .Command(SensorMessageId.SENSOR_AXIS_NAME_GET, Of(SensorId(), U32("axis_desc_index")),
            Of(AxisCount(), Records("axes", "returned", Of(U32("axis_id"), Name64()))), since: V3)
        .Notification(SensorNotificationId.SENSOR_TRIP_POINT_EVENT,
            Of(U32("agent_id"), SensorId(),
                Bits("trip_point_desc", Field("trip_point_id", 0, 8), Field("direction", 16, 1, Names((0, "down"), (1, "up"))))))
        .Notification(SensorNotificationId.SENSOR_UPDATE, Of(U32("agent_id"), SensorId(), RestRecords("readings", Reading)), since: V2)
        .Build();
}

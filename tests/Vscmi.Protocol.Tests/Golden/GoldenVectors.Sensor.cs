namespace Vscmi.Protocol.Tests.Golden;

public static partial class GoldenVectors
{
    public static readonly TheoryData<string, string, string> Sensor = new()
    {
        { "c", "00045400", "SENSOR 0x15 PROTOCOL_VERSION command token=1" },
        { "r", "00045400 00000000 00030001", "SENSOR 0x15 PROTOCOL_VERSION response token=1 status=SUCCESS version=0x30001" },
        { "c", "00045401", "SENSOR 0x15 PROTOCOL_ATTRIBUTES command token=1" },
        { "r", "00045401 00000000 00010006 00000000 00000000 00000000", "SENSOR 0x15 PROTOCOL_ATTRIBUTES response token=1 status=SUCCESS num_sensors=6 max_async_requests=1 sensor_reg_address=0x0 sensor_reg_len=0" },
        { "c", "00045402 00000004", "SENSOR 0x15 PROTOCOL_MESSAGE_ATTRIBUTES command token=1 message_id=0x4" },
        { "r", "00045402 00000000 00000000", "SENSOR 0x15 PROTOCOL_MESSAGE_ATTRIBUTES response token=1 status=SUCCESS attributes=0x0" },
        { "c", "00045410 00030001", "SENSOR 0x15 NEGOTIATE_PROTOCOL_VERSION command token=1 version=0x30001" },
        { "r", "00045410 00000000", "SENSOR 0x15 NEGOTIATE_PROTOCOL_VERSION response token=1 status=SUCCESS" },
        { "c", "00045403 00000000", "SENSOR 0x15 SENSOR_DESCRIPTION_GET command token=1 desc_index=0" },
        // A 28-byte descriptor (no extended attributes) then a 52-byte one (extended, scalar): reference 2.6.
        { "r", "00045403 00000000 00010002 00000000 20000202 0000E802 n16:cpu_temp 00000001 80000100 00000005 n16:vdd 000003E8 E8000001 00000000 00000000 00000E10 00000000",
            "SENSOR 0x15 SENSOR_DESCRIPTION_GET response token=1 status=SUCCESS returned=2 remaining=1 descriptors=[" +
            "{sensor_id=0 attributes_low={extended_name,timestamps} timestamp_exponent=0 num_trip_points=2 num_axes=0 unit_exponent=-3 multi_axis=0 sensor_type=degrees_c name=\"cpu_temp\"}," +
            "{sensor_id=1 attributes_low={async_read,extended_attributes} timestamp_exponent=0 num_trip_points=0 num_axes=0 unit_exponent=0 multi_axis=0 sensor_type=volts name=\"vdd\" sensor_power_uw=1000 resolution_value=1 resolution_exponent=-3 min_range=0 max_range=3600}]" },
        // A 32-byte descriptor: extended attributes on a 3-axis sensor carry only sensor_power.
        { "r", "00045403 00000000 00000001 00000002 00000100 00030159 n16:accel 00000064",
            "SENSOR 0x15 SENSOR_DESCRIPTION_GET response token=1 status=SUCCESS returned=1 remaining=0 descriptors=[" +
            "{sensor_id=2 attributes_low={extended_attributes} timestamp_exponent=0 num_trip_points=0 num_axes=3 unit_exponent=0 multi_axis=1 sensor_type=m_per_s2 name=\"accel\" sensor_power_uw=100}]" },
        { "c", "00045404 00000000 00000001", "SENSOR 0x15 SENSOR_TRIP_POINT_NOTIFY command token=1 sensor_id=0 event_control=1" },
        { "r", "00045404 00000000", "SENSOR 0x15 SENSOR_TRIP_POINT_NOTIFY response token=1 status=SUCCESS" },
        { "c", "00045405 00000000 00000051 00011170 00000000", "SENSOR 0x15 SENSOR_TRIP_POINT_CONFIG command token=1 sensor_id=0 direction=positive trip_point_id=5 trip_point_value=70000" },
        { "r", "00045405 00000000", "SENSOR 0x15 SENSOR_TRIP_POINT_CONFIG response token=1 status=SUCCESS" },
        { "c", "00045406 00000000 00000000", "SENSOR 0x15 SENSOR_READING_GET command token=1 sensor_id=0 async=0" },
        { "r", "00045406 00000000 0000C350 00000000 00000000 00000000", "SENSOR 0x15 SENSOR_READING_GET response token=1 status=SUCCESS readings=[{value=50000 timestamp=0}]" },
        { "d", "00045606 00000000 00000000 FFFFFFF6 FFFFFFFF 0000000A 00000000", "SENSOR 0x15 SENSOR_READING_GET delayed-response token=1 status=SUCCESS sensor_id=0 readings=[{value=-10 timestamp=10}]" },
        { "c", "00045407 00000003 00000000", "SENSOR 0x15 SENSOR_AXIS_DESCRIPTION_GET command token=1 sensor_id=3 axis_desc_index=0" },
        { "r", "00045407 00000000 04000001 00000000 00000100 00000059 n16:x 00000001 FFFFFF9C FFFFFFFF 00000064 00000000",
            "SENSOR 0x15 SENSOR_AXIS_DESCRIPTION_GET response token=1 status=SUCCESS returned=1 remaining=1 axes=[{axis_id=0 attributes_low={extended_attributes} unit_exponent=0 axis_type=m_per_s2 name=\"x\" resolution_value=1 resolution_exponent=0 min_range=-100 max_range=100}]" },
        { "c", "00045408 00000000 00000000", "SENSOR 0x15 SENSOR_LIST_UPDATE_INTERVALS command token=1 sensor_id=0 index=0" },
        { "r", "00045408 00000000 00001003 00000020 00000140 00000020", "SENSOR 0x15 SENSOR_LIST_UPDATE_INTERVALS response token=1 status=SUCCESS returned=3 format=segmented remaining=0 intervals=[{seconds=1 exponent=0},{seconds=10 exponent=0},{seconds=1 exponent=0}]" },
        { "c", "00045409 00000000", "SENSOR 0x15 SENSOR_CONFIG_GET command token=1 sensor_id=0" },
        { "r", "00045409 00000000 00011803", "SENSOR 0x15 SENSOR_CONFIG_GET response token=1 status=SUCCESS sensor_config={timestamping,enabled} update_interval_seconds=1 update_interval_exponent=3" },
        { "c", "0004540A 00000000 0001FA01", "SENSOR 0x15 SENSOR_CONFIG_SET command token=1 sensor_id=0 sensor_config={enabled} update_interval_seconds=1 update_interval_exponent=-1 rounding=up" },
        { "r", "0004540A 00000000", "SENSOR 0x15 SENSOR_CONFIG_SET response token=1 status=SUCCESS" },
        { "c", "0004540B 00000000 00000001", "SENSOR 0x15 SENSOR_CONTINUOUS_UPDATE_NOTIFY command token=1 sensor_id=0 notify_enable=1" },
        { "r", "0004540B 00000000", "SENSOR 0x15 SENSOR_CONTINUOUS_UPDATE_NOTIFY response token=1 status=SUCCESS" },
        { "c", "0004540C 00000000", "SENSOR 0x15 SENSOR_NAME_GET command token=1 sensor_id=0" },
        { "r", "0004540C 00000000 00000000 n64:cpu_temperature", "SENSOR 0x15 SENSOR_NAME_GET response token=1 status=SUCCESS name=\"cpu_temperature\"" },
        { "c", "0004540D 00000003 00000000", "SENSOR 0x15 SENSOR_AXIS_NAME_GET command token=1 sensor_id=3 axis_desc_index=0" },
        { "r", "0004540D 00000000 00000001 00000000 n64:x_axis", "SENSOR 0x15 SENSOR_AXIS_NAME_GET response token=1 status=SUCCESS returned=1 remaining=0 axes=[{axis_id=0 name=\"x_axis\"}]" },
        { "n", "00005700 00000001 00000000 00010005", "SENSOR 0x15 SENSOR_TRIP_POINT_EVENT notification agent_id=1 sensor_id=0 trip_point_id=5 direction=up" },
        { "n", "00005701 00000000 00000002 000003E8 00000000 00000064 00000000", "SENSOR 0x15 SENSOR_UPDATE notification agent_id=0 sensor_id=2 readings=[{value=1000 timestamp=100}]" },
    };
}

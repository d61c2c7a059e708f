namespace Vscmi.Protocol.Tests.Golden;

// Headers: protocol << 10 | type << 8 | message, token 1 = 0x00040000 (reference 1.1).
public static partial class GoldenVectors
{
    public static readonly TheoryData<string, string, string> Base = new()
    {
        { "c", "00044000", "BASE 0x10 PROTOCOL_VERSION command token=1" },
        { "c", "0FFC4000", "BASE 0x10 PROTOCOL_VERSION command token=1023" },
        { "r", "00044000 00000000 00020001", "BASE 0x10 PROTOCOL_VERSION response token=1 status=SUCCESS version=0x20001" },
        { "c", "00044001", "BASE 0x10 PROTOCOL_ATTRIBUTES command token=1" },
        { "r", "00044001 00000000 00000209", "BASE 0x10 PROTOCOL_ATTRIBUTES response token=1 status=SUCCESS num_protocols=9 num_agents=2" },
        { "c", "00044002 00000006", "BASE 0x10 PROTOCOL_MESSAGE_ATTRIBUTES command token=1 message_id=0x6" },
        { "r", "00044002 00000000 00000000", "BASE 0x10 PROTOCOL_MESSAGE_ATTRIBUTES response token=1 status=SUCCESS attributes=0x0" },
        { "r", "00044002 FFFFFFFC", "BASE 0x10 PROTOCOL_MESSAGE_ATTRIBUTES response token=1 status=NOT_FOUND" },
        { "c", "00044010 00020001", "BASE 0x10 NEGOTIATE_PROTOCOL_VERSION command token=1 version=0x20001" },
        { "r", "00044010 00000000", "BASE 0x10 NEGOTIATE_PROTOCOL_VERSION response token=1 status=SUCCESS" },
        { "c", "00044003", "BASE 0x10 BASE_DISCOVER_VENDOR command token=1" },
        { "r", "00044003 00000000 n16:vscmi", "BASE 0x10 BASE_DISCOVER_VENDOR response token=1 status=SUCCESS vendor_identifier=\"vscmi\"" },
        { "c", "00044004", "BASE 0x10 BASE_DISCOVER_SUB_VENDOR command token=1" },
        { "r", "00044004 00000000 n16:virtual", "BASE 0x10 BASE_DISCOVER_SUB_VENDOR response token=1 status=SUCCESS sub_vendor_identifier=\"virtual\"" },
        { "c", "00044005", "BASE 0x10 BASE_DISCOVER_IMPLEMENTATION_VERSION command token=1" },
        { "r", "00044005 00000000 00010203", "BASE 0x10 BASE_DISCOVER_IMPLEMENTATION_VERSION response token=1 status=SUCCESS implementation_version=0x10203" },
        { "c", "00044006 00000000", "BASE 0x10 BASE_DISCOVER_LIST_PROTOCOLS command token=1 skip=0" },
        { "r", "00044006 00000000 00000005 14131211 00000015", "BASE 0x10 BASE_DISCOVER_LIST_PROTOCOLS response token=1 status=SUCCESS num_protocols=5 protocols=[0x11,0x12,0x13,0x14,0x15]" },
        { "r", "00044006 00000000 00000004 14131211", "BASE 0x10 BASE_DISCOVER_LIST_PROTOCOLS response token=1 status=SUCCESS num_protocols=4 protocols=[0x11,0x12,0x13,0x14]" },
        { "c", "00044007 00000001", "BASE 0x10 BASE_DISCOVER_AGENT command token=1 agent_id=1" },
        { "r", "00044007 00000000 00000001 n16:OSPM", "BASE 0x10 BASE_DISCOVER_AGENT response token=1 status=SUCCESS agent_id=1 name=\"OSPM\"" },
        { "r", "00044007 FFFFFFFC", "BASE 0x10 BASE_DISCOVER_AGENT response token=1 status=NOT_FOUND" },
        { "c", "00044008 00000001", "BASE 0x10 BASE_NOTIFY_ERRORS command token=1 notify_enable=1" },
        { "r", "00044008 00000000", "BASE 0x10 BASE_NOTIFY_ERRORS response token=1 status=SUCCESS" },
        { "c", "00044009 00000002 00000003 00000001", "BASE 0x10 BASE_SET_DEVICE_PERMISSIONS command token=1 agent_id=2 device_id=3 allow=1" },
        { "r", "00044009 FFFFFFFD", "BASE 0x10 BASE_SET_DEVICE_PERMISSIONS response token=1 status=DENIED" },
        { "r", "00044009 00000000", "BASE 0x10 BASE_SET_DEVICE_PERMISSIONS response token=1 status=SUCCESS" },
        { "c", "0004400A 00000002 00000003 00000014 00000000", "BASE 0x10 BASE_SET_PROTOCOL_PERMISSIONS command token=1 agent_id=2 device_id=3 protocol_id=0x14 allow=0" },
        { "r", "0004400A 00000000", "BASE 0x10 BASE_SET_PROTOCOL_PERMISSIONS response token=1 status=SUCCESS" },
        { "c", "0004400B 00000002 00000001", "BASE 0x10 BASE_RESET_AGENT_CONFIGURATION command token=1 agent_id=2 reset_permissions=1" },
        { "r", "0004400B 00000000", "BASE 0x10 BASE_RESET_AGENT_CONFIGURATION response token=1 status=SUCCESS" },
        { "n", "00004300 00000001 80000002 00000001 00000000 00000002 00000000", "BASE 0x10 BASE_ERROR_EVENT notification agent_id=1 num_reports=2 fatal=1 reports=[0x1,0x2]" },
    };

    public static readonly TheoryData<string, string, string> Power = new()
    {
        { "c", "00044400", "POWER 0x11 PROTOCOL_VERSION command token=1" },
        { "r", "00044400 00000000 00030001", "POWER 0x11 PROTOCOL_VERSION response token=1 status=SUCCESS version=0x30001" },
        { "c", "00044401", "POWER 0x11 PROTOCOL_ATTRIBUTES command token=1" },
        { "r", "00044401 00000000 00000004 00000000 00000000 00000000", "POWER 0x11 PROTOCOL_ATTRIBUTES response token=1 status=SUCCESS num_domains=4 statistics_address=0x0 statistics_len=0" },
        { "c", "00044402 00000004", "POWER 0x11 PROTOCOL_MESSAGE_ATTRIBUTES command token=1 message_id=0x4" },
        { "r", "00044402 00000000 00000000", "POWER 0x11 PROTOCOL_MESSAGE_ATTRIBUTES response token=1 status=SUCCESS attributes=0x0" },
        { "c", "00044410 00030001", "POWER 0x11 NEGOTIATE_PROTOCOL_VERSION command token=1 version=0x30001" },
        { "r", "00044410 00000000", "POWER 0x11 NEGOTIATE_PROTOCOL_VERSION response token=1 status=SUCCESS" },
        { "c", "00044403 00000000", "POWER 0x11 POWER_DOMAIN_ATTRIBUTES command token=1 domain_id=0" },
        { "r", "00044403 00000000 A8000000 n16:gpu", "POWER 0x11 POWER_DOMAIN_ATTRIBUTES response token=1 status=SUCCESS attributes={state_change_notify,sync_state_set,extended_name} name=\"gpu\"" },
        { "c", "00044404 00000000 00000001 40000000", "POWER 0x11 POWER_STATE_SET command token=1 async=0 domain_id=1 state_id=0x0 state_type=off" },
        { "r", "00044404 00000000", "POWER 0x11 POWER_STATE_SET response token=1 status=SUCCESS" },
        { "c", "00044405 00000001", "POWER 0x11 POWER_STATE_GET command token=1 domain_id=1" },
        { "r", "00044405 00000000 00000000", "POWER 0x11 POWER_STATE_GET response token=1 status=SUCCESS state_id=0x0 state_type=on" },
        { "c", "00044406 00000001 00000001", "POWER 0x11 POWER_STATE_NOTIFY command token=1 domain_id=1 notify_enable=1" },
        { "r", "00044406 00000000", "POWER 0x11 POWER_STATE_NOTIFY response token=1 status=SUCCESS" },
        { "c", "00044407 00000001 00000000", "POWER 0x11 POWER_STATE_CHANGE_REQUESTED_NOTIFY command token=1 domain_id=1 notify_enable=0" },
        { "r", "00044407 00000000", "POWER 0x11 POWER_STATE_CHANGE_REQUESTED_NOTIFY response token=1 status=SUCCESS" },
        { "c", "00044408 00000002", "POWER 0x11 POWER_DOMAIN_NAME_GET command token=1 domain_id=2" },
        { "r", "00044408 00000000 00000000 n64:gpu_power_domain", "POWER 0x11 POWER_DOMAIN_NAME_GET response token=1 status=SUCCESS name=\"gpu_power_domain\"" },
        { "n", "00004700 00000001 00000002 40000000", "POWER 0x11 POWER_STATE_CHANGED notification agent_id=1 domain_id=2 state_id=0x0 state_type=off" },
        { "n", "00004701 00000001 00000002 00000003", "POWER 0x11 POWER_STATE_CHANGE_REQUESTED notification agent_id=1 domain_id=2 state_id=0x3 state_type=on" },
    };

    public static readonly TheoryData<string, string, string> System = new()
    {
        { "c", "00044800", "SYSTEM 0x12 PROTOCOL_VERSION command token=1" },
        { "r", "00044800 00000000 00020001", "SYSTEM 0x12 PROTOCOL_VERSION response token=1 status=SUCCESS version=0x20001" },
        { "c", "00044801", "SYSTEM 0x12 PROTOCOL_ATTRIBUTES command token=1" },
        { "r", "00044801 00000000 00000000", "SYSTEM 0x12 PROTOCOL_ATTRIBUTES response token=1 status=SUCCESS" },
        { "c", "00044802 00000003", "SYSTEM 0x12 PROTOCOL_MESSAGE_ATTRIBUTES command token=1 message_id=0x3" },
        { "r", "00044802 00000000 C0000000", "SYSTEM 0x12 PROTOCOL_MESSAGE_ATTRIBUTES response token=1 status=SUCCESS attributes=0xC0000000" },
        { "c", "00044810 00020001", "SYSTEM 0x12 NEGOTIATE_PROTOCOL_VERSION command token=1 version=0x20001" },
        { "r", "00044810 FFFFFFFF", "SYSTEM 0x12 NEGOTIATE_PROTOCOL_VERSION response token=1 status=NOT_SUPPORTED" },
        { "r", "00044810 00000000", "SYSTEM 0x12 NEGOTIATE_PROTOCOL_VERSION response token=1 status=SUCCESS" },
        { "c", "00044803 00000001 00000001", "SYSTEM 0x12 SYSTEM_POWER_STATE_SET command token=1 graceful=1 system_state=cold_reset" },
        { "r", "00044803 00000000", "SYSTEM 0x12 SYSTEM_POWER_STATE_SET response token=1 status=SUCCESS" },
        { "c", "00044804", "SYSTEM 0x12 SYSTEM_POWER_STATE_GET command token=1" },
        { "r", "00044804 00000000 80000001", "SYSTEM 0x12 SYSTEM_POWER_STATE_GET response token=1 status=SUCCESS system_state=0x80000001" },
        { "c", "00044805 00000001", "SYSTEM 0x12 SYSTEM_POWER_STATE_NOTIFY command token=1 notify_enable=1" },
        { "r", "00044805 00000000", "SYSTEM 0x12 SYSTEM_POWER_STATE_NOTIFY response token=1 status=SUCCESS" },
        { "n", "00004B00 00000000 00000001 00000000 00002710", "SYSTEM 0x12 SYSTEM_POWER_STATE_NOTIFIER notification agent_id=0 graceful=1 system_state=shutdown timeout_ms=10000" },
    };
}

namespace Vscmi.Protocol.Protocols;

// The message and notification ids of every protocol, as the specification's tables list them
// (DEN0056 4.x, "message id" column), side by side; each protocol's layouts are in its own file.

/// <summary>Base protocol (0x10) message ids (DEN0056 4.2; reference 2.1).</summary>
public enum BaseMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    BASE_DISCOVER_VENDOR = 0x3,
    /// <summary>0x4</summary>
    BASE_DISCOVER_SUB_VENDOR = 0x4,
    /// <summary>0x5</summary>
    BASE_DISCOVER_IMPLEMENTATION_VERSION = 0x5,
    /// <summary>0x6</summary>
    BASE_DISCOVER_LIST_PROTOCOLS = 0x6,
    /// <summary>0x7</summary>
    BASE_DISCOVER_AGENT = 0x7,
    /// <summary>0x8</summary>
    BASE_NOTIFY_ERRORS = 0x8,
    /// <summary>0x9</summary>
    BASE_SET_DEVICE_PERMISSIONS = 0x9,
    /// <summary>0xA</summary>
    BASE_SET_PROTOCOL_PERMISSIONS = 0xA,
    /// <summary>0xB</summary>
    BASE_RESET_AGENT_CONFIGURATION = 0xB,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Base protocol notification ids.</summary>
public enum BaseNotificationId : byte
{
    /// <summary>0x0, enabled by BASE_NOTIFY_ERRORS.</summary>
    BASE_ERROR_EVENT = 0x0,
}

/// <summary>Power domain management protocol (0x11) message ids (DEN0056 4.3; reference 2.2).</summary>
public enum PowerMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    POWER_DOMAIN_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    POWER_STATE_SET = 0x4,
    /// <summary>0x5</summary>
    POWER_STATE_GET = 0x5,
    /// <summary>0x6</summary>
    POWER_STATE_NOTIFY = 0x6,
    /// <summary>0x7</summary>
    POWER_STATE_CHANGE_REQUESTED_NOTIFY = 0x7,
    /// <summary>0x8</summary>
    POWER_DOMAIN_NAME_GET = 0x8,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Power domain notification ids.</summary>
public enum PowerNotificationId : byte
{
    /// <summary>0x0, enabled by POWER_STATE_NOTIFY.</summary>
    POWER_STATE_CHANGED = 0x0,
    /// <summary>0x1, enabled by POWER_STATE_CHANGE_REQUESTED_NOTIFY.</summary>
    POWER_STATE_CHANGE_REQUESTED = 0x1,
}

/// <summary>System power management protocol (0x12) message ids (DEN0056 4.4; reference 2.3).</summary>
public enum SystemMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    SYSTEM_POWER_STATE_SET = 0x3,
    /// <summary>0x4</summary>
    SYSTEM_POWER_STATE_GET = 0x4,
    /// <summary>0x5</summary>
    SYSTEM_POWER_STATE_NOTIFY = 0x5,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>System power notification ids.</summary>
public enum SystemNotificationId : byte
{
    /// <summary>0x0, enabled by SYSTEM_POWER_STATE_NOTIFY.</summary>
    SYSTEM_POWER_STATE_NOTIFIER = 0x0,
}

/// <summary>Performance domain management protocol (0x13) message ids (DEN0056 4.5; reference 2.4).</summary>
public enum PerfMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    PERFORMANCE_DOMAIN_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    PERFORMANCE_DESCRIBE_LEVELS = 0x4,
    /// <summary>0x5</summary>
    PERFORMANCE_LIMITS_SET = 0x5,
    /// <summary>0x6</summary>
    PERFORMANCE_LIMITS_GET = 0x6,
    /// <summary>0x7</summary>
    PERFORMANCE_LEVEL_SET = 0x7,
    /// <summary>0x8</summary>
    PERFORMANCE_LEVEL_GET = 0x8,
    /// <summary>0x9</summary>
    PERFORMANCE_NOTIFY_LIMITS = 0x9,
    /// <summary>0xA</summary>
    PERFORMANCE_NOTIFY_LEVEL = 0xA,
    /// <summary>0xB</summary>
    PERFORMANCE_DESCRIBE_FASTCHANNEL = 0xB,
    /// <summary>0xC</summary>
    PERFORMANCE_DOMAIN_NAME_GET = 0xC,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Performance notification ids.</summary>
public enum PerfNotificationId : byte
{
    /// <summary>0x0, enabled by PERFORMANCE_NOTIFY_LIMITS.</summary>
    PERFORMANCE_LIMITS_CHANGED = 0x0,
    /// <summary>0x1, enabled by PERFORMANCE_NOTIFY_LEVEL.</summary>
    PERFORMANCE_LEVEL_CHANGED = 0x1,
}

/// <summary>Clock management protocol (0x14) message ids (DEN0056 4.6; reference 2.5).</summary>
public enum ClockMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    CLOCK_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    CLOCK_DESCRIBE_RATES = 0x4,
    /// <summary>0x5</summary>
    CLOCK_RATE_SET = 0x5,
    /// <summary>0x6</summary>
    CLOCK_RATE_GET = 0x6,
    /// <summary>0x7</summary>
    CLOCK_CONFIG_SET = 0x7,
    /// <summary>0x8</summary>
    CLOCK_NAME_GET = 0x8,
    /// <summary>0x9</summary>
    CLOCK_RATE_NOTIFY = 0x9,
    /// <summary>0xA</summary>
    CLOCK_RATE_CHANGE_REQUESTED_NOTIFY = 0xA,
    /// <summary>0xB</summary>
    CLOCK_CONFIG_GET = 0xB,
    /// <summary>0xC</summary>
    CLOCK_POSSIBLE_PARENTS_GET = 0xC,
    /// <summary>0xD</summary>
    CLOCK_PARENT_SET = 0xD,
    /// <summary>0xE</summary>
    CLOCK_PARENT_GET = 0xE,
    /// <summary>0xF</summary>
    CLOCK_GET_PERMISSIONS = 0xF,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Clock notification ids.</summary>
public enum ClockNotificationId : byte
{
    /// <summary>0x0, enabled by CLOCK_RATE_NOTIFY.</summary>
    CLOCK_RATE_CHANGED = 0x0,
    /// <summary>0x1, enabled by CLOCK_RATE_CHANGE_REQUESTED_NOTIFY.</summary>
    CLOCK_RATE_CHANGE_REQUESTED = 0x1,
}

/// <summary>Sensor management protocol (0x15) message ids (DEN0056 4.7; reference 2.6).</summary>
public enum SensorMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    SENSOR_DESCRIPTION_GET = 0x3,
    /// <summary>0x4</summary>
    SENSOR_TRIP_POINT_NOTIFY = 0x4,
    /// <summary>0x5</summary>
    SENSOR_TRIP_POINT_CONFIG = 0x5,
    /// <summary>0x6</summary>
    SENSOR_READING_GET = 0x6,
    /// <summary>0x7</summary>
    SENSOR_AXIS_DESCRIPTION_GET = 0x7,
    /// <summary>0x8</summary>
    SENSOR_LIST_UPDATE_INTERVALS = 0x8,
    /// <summary>0x9</summary>
    SENSOR_CONFIG_GET = 0x9,
    /// <summary>0xA</summary>
    SENSOR_CONFIG_SET = 0xA,
    /// <summary>0xB</summary>
    SENSOR_CONTINUOUS_UPDATE_NOTIFY = 0xB,
    /// <summary>0xC</summary>
    SENSOR_NAME_GET = 0xC,
    /// <summary>0xD</summary>
    SENSOR_AXIS_NAME_GET = 0xD,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Sensor notification ids.</summary>
public enum SensorNotificationId : byte
{
    /// <summary>0x0, enabled by SENSOR_TRIP_POINT_NOTIFY.</summary>
    SENSOR_TRIP_POINT_EVENT = 0x0,
    /// <summary>0x1, enabled by SENSOR_CONTINUOUS_UPDATE_NOTIFY.</summary>
    SENSOR_UPDATE = 0x1,
}

/// <summary>Reset domain management protocol (0x16) message ids (DEN0056 4.8; reference 2.7).</summary>
public enum ResetMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    RESET_DOMAIN_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    RESET = 0x4,
    /// <summary>0x5</summary>
    RESET_NOTIFY = 0x5,
    /// <summary>0x6</summary>
    RESET_DOMAIN_NAME_GET = 0x6,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Reset notification ids.</summary>
public enum ResetNotificationId : byte
{
    /// <summary>0x0, enabled by RESET_NOTIFY.</summary>
    RESET_ISSUED = 0x0,
}

/// <summary>Voltage domain management protocol (0x17) message ids (DEN0056 4.9; reference 2.8).</summary>
public enum VoltageMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    VOLTAGE_DOMAIN_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    VOLTAGE_DESCRIBE_LEVELS = 0x4,
    /// <summary>0x5</summary>
    VOLTAGE_CONFIG_SET = 0x5,
    /// <summary>0x6</summary>
    VOLTAGE_CONFIG_GET = 0x6,
    /// <summary>0x7</summary>
    VOLTAGE_LEVEL_SET = 0x7,
    /// <summary>0x8</summary>
    VOLTAGE_LEVEL_GET = 0x8,
    /// <summary>0x9</summary>
    VOLTAGE_DOMAIN_NAME_GET = 0x9,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Power capping and monitoring protocol (0x18) message ids (DEN0056 4.10; reference 2.9).</summary>
public enum PowercapMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    POWERCAP_DOMAIN_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    POWERCAP_CAP_GET = 0x4,
    /// <summary>0x5</summary>
    POWERCAP_CAP_SET = 0x5,
    /// <summary>0x6</summary>
    POWERCAP_PAI_GET = 0x6,
    /// <summary>0x7</summary>
    POWERCAP_PAI_SET = 0x7,
    /// <summary>0x8</summary>
    POWERCAP_DOMAIN_NAME_GET = 0x8,
    /// <summary>0x9</summary>
    POWERCAP_MEASUREMENTS_GET = 0x9,
    /// <summary>0xA</summary>
    POWERCAP_CAP_NOTIFY = 0xA,
    /// <summary>0xB</summary>
    POWERCAP_MEASUREMENTS_NOTIFY = 0xB,
    /// <summary>0xC</summary>
    POWERCAP_DESCRIBE_FASTCHANNEL = 0xC,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Powercap notification ids.</summary>
public enum PowercapNotificationId : byte
{
    /// <summary>0x0, enabled by POWERCAP_CAP_NOTIFY.</summary>
    POWERCAP_CAP_CHANGED = 0x0,
    /// <summary>0x1, enabled by POWERCAP_MEASUREMENTS_NOTIFY.</summary>
    POWERCAP_MEASUREMENTS_CHANGED = 0x1,
}

/// <summary>Pin control protocol (0x19) message ids (DEN0056 4.11; reference 2.10).</summary>
public enum PinctrlMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    PINCTRL_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    PINCTRL_LIST_ASSOCIATIONS = 0x4,
    /// <summary>0x5</summary>
    PINCTRL_SETTINGS_GET = 0x5,
    /// <summary>0x6</summary>
    PINCTRL_SETTINGS_CONFIGURE = 0x6,
    /// <summary>0x7</summary>
    PINCTRL_REQUEST = 0x7,
    /// <summary>0x8</summary>
    PINCTRL_RELEASE = 0x8,
    /// <summary>0x9</summary>
    PINCTRL_NAME_GET = 0x9,
    /// <summary>0xA</summary>
    PINCTRL_SET_PERMISSIONS = 0xA,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>vscmi's vendor protocol (0x80) message ids.</summary>
public enum VscmiMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>
    /// 0x3: send SYSTEM_POWER_STATE_NOTIFIER to one agent (a VM's scmi_power_control then shuts
    /// down or reboots in an orderly way): agent_id, flags (bit 0 graceful), system_state, timeout_ms.
    /// </summary>
    VSCMI_AGENT_SYSTEM_POWER_NOTIFY = 0x3,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

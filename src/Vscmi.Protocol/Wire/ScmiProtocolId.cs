namespace Vscmi.Protocol;

/// <summary>Standard SCMI protocol identifiers of SCMI v3.2 (reference 1.6).</summary>
public enum ScmiProtocolId : byte
{
    /// <summary>Base protocol.</summary>
    BASE = 0x10,
    /// <summary>Power domain management protocol.</summary>
    POWER = 0x11,
    /// <summary>System power management protocol.</summary>
    SYSTEM = 0x12,
    /// <summary>Performance domain management protocol.</summary>
    PERF = 0x13,
    /// <summary>Clock management protocol.</summary>
    CLOCK = 0x14,
    /// <summary>Sensor management protocol.</summary>
    SENSOR = 0x15,
    /// <summary>Reset domain management protocol.</summary>
    RESET = 0x16,
    /// <summary>Voltage domain management protocol.</summary>
    VOLTAGE = 0x17,
    /// <summary>Power capping and monitoring protocol.</summary>
    POWERCAP = 0x18,
    /// <summary>Pin control protocol.</summary>
    PINCTRL = 0x19,
    /// <summary>
    /// vscmi's vendor protocol (0x80, in the vendor range 0x80-0xFF): host-side requests a trusted
    /// agent makes of the platform about other agents. Only trusted agents see it.
    /// </summary>
    VSCMI = 0x80,
}

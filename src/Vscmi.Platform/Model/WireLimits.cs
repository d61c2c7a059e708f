namespace Vscmi.Platform.Model;

/// <summary>
/// The largest counts and ids a model may declare, each read from the width of the field that
/// carries it in the message descriptions (Vscmi.Protocol), never from a second table: a model
/// with 70,008 clocks would otherwise report 4,472 of them in CLOCK PROTOCOL_ATTRIBUTES' 16-bit
/// field, the overflow landing in max_async_requests.
/// </summary>
public static class WireLimits
{
    /// <summary>One limit: the largest value, and the field (protocol, message, field) that imposes it.</summary>
    public readonly record struct Limit(ulong Max, string Reason);

    private static Limit Response(ScmiProtocolId protocol, string message, string field)
    {
        var spec = ScmiCatalog.Get(protocol).Messages.Single(m => m.Name == message);
        return new Limit(spec.Response.MaxValueOf(field), $"{protocol} {message} carries {field} in {spec.Response.WidthOf(field)} bits");
    }

    /// <summary>How many resources of a kind a model may declare (each protocol's PROTOCOL_ATTRIBUTES count).</summary>
    public static Limit Resources(ResourceKind kind) => kind switch
    {
        ResourceKind.Perf => Response(ScmiProtocolId.PERF, "PROTOCOL_ATTRIBUTES", "num_domains"),
        ResourceKind.Clock => Response(ScmiProtocolId.CLOCK, "PROTOCOL_ATTRIBUTES", "num_clocks"),
        ResourceKind.Sensor => Response(ScmiProtocolId.SENSOR, "PROTOCOL_ATTRIBUTES", "num_sensors"),
        ResourceKind.PowerDomain => Response(ScmiProtocolId.POWER, "PROTOCOL_ATTRIBUTES", "num_domains"),
        ResourceKind.ResetDomain => Response(ScmiProtocolId.RESET, "PROTOCOL_ATTRIBUTES", "num_domains"),
        ResourceKind.VoltageDomain => Response(ScmiProtocolId.VOLTAGE, "PROTOCOL_ATTRIBUTES", "num_domains"),
        ResourceKind.Powercap => Response(ScmiProtocolId.POWERCAP, "PROTOCOL_ATTRIBUTES", "num_domains"),
        ResourceKind.Pin => Response(ScmiProtocolId.PINCTRL, "PROTOCOL_ATTRIBUTES", "num_pins"),
        ResourceKind.PinGroup => Response(ScmiProtocolId.PINCTRL, "PROTOCOL_ATTRIBUTES", "num_groups"),
        ResourceKind.PinFunction => Response(ScmiProtocolId.PINCTRL, "PROTOCOL_ATTRIBUTES", "num_functions"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Agents: BASE PROTOCOL_ATTRIBUTES num_agents.</summary>
    public static Limit Agents => Response(ScmiProtocolId.BASE, "PROTOCOL_ATTRIBUTES", "num_agents");

    /// <summary>Pins in a group, groups of a function: PINCTRL_ATTRIBUTES num_elements.</summary>
    public static Limit PinElements => Response(ScmiProtocolId.PINCTRL, "PINCTRL_ATTRIBUTES", "num_elements");

    /// <summary>A clock's possible parents: what CLOCK_POSSIBLE_PARENTS_GET can say remain after the first reply.</summary>
    public static Limit ClockParents => Response(ScmiProtocolId.CLOCK, "CLOCK_POSSIBLE_PARENTS_GET", "remaining");

    /// <summary>A voltage domain's discrete levels: what VOLTAGE_DESCRIBE_LEVELS can say remain.</summary>
    public static Limit VoltageLevels => Response(ScmiProtocolId.VOLTAGE, "VOLTAGE_DESCRIBE_LEVELS", "remaining");

    /// <summary>A sensor's trip points: SENSOR_DESCRIPTION_GET num_trip_points.</summary>
    public static Limit TripPoints => Response(ScmiProtocolId.SENSOR, "SENSOR_DESCRIPTION_GET", "num_trip_points");
}

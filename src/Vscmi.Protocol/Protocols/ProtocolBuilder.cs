using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

/// <summary>Collects one protocol's table; message names come from the protocol's id enum.</summary>
internal sealed class ProtocolBuilder(ScmiProtocolId id, string shortName, uint version)
{
    private readonly List<MessageSpec> _messages = [];
    private readonly List<NotificationSpec> _notifications = [];

    /// <summary>
    /// Adds the four commands every protocol has (reference 1.4). NEGOTIATE_PROTOCOL_VERSION came
    /// with SCMI v3.2 (reference 1.8): it exists from this protocol's v3.2 version on.
    /// </summary>
    public ProtocolBuilder Common(Layout protocolAttributes)
    {
        Add(0x0, "PROTOCOL_VERSION", Layout.Empty, Shared.VersionOnly);
        Add(0x1, "PROTOCOL_ATTRIBUTES", Layout.Empty, protocolAttributes);
        Add(0x2, "PROTOCOL_MESSAGE_ATTRIBUTES", Of(U32("message_id", NumberDisplay.Hex)), Of(Hex32("attributes")));
        Add(0x10, "NEGOTIATE_PROTOCOL_VERSION", Shared.VersionOnly, Layout.Empty, since: version);
        return this;
    }

    /// <summary>A command; <paramref name="since"/> is the protocol version that introduced it (0: the first).</summary>
    public ProtocolBuilder Command<TId>(TId messageId, Layout request, Layout response, Layout? delayedResponse = null, uint since = 0)
        where TId : struct, Enum
    {
        Add(Convert.ToByte(messageId, System.Globalization.CultureInfo.InvariantCulture), messageId.ToString(), request, response, delayedResponse, since);
        return this;
    }

    /// <summary>
    /// The layouts a command had before protocol version <paramref name="before"/> (null: the
    /// same as later). Several calls describe several older forms, each up to its bound.
    /// </summary>
    public ProtocolBuilder Before<TId>(TId messageId, uint before, Layout? request = null, Layout? response = null, Layout? delayedResponse = null)
        where TId : struct, Enum
    {
        var message = _messages.Single(m => m.Id == Convert.ToByte(messageId, System.Globalization.CultureInfo.InvariantCulture));
        message.AddOlder(before, request, response, delayedResponse);
        return this;
    }

    /// <summary>The PROTOCOL_ATTRIBUTES reply before protocol version <paramref name="before"/>.</summary>
    public ProtocolBuilder AttributesBefore(uint before, Layout response)
    {
        _messages.Single(m => m.Id == 0x1).AddOlder(before, null, response, null);
        return this;
    }

    public ProtocolBuilder Notification<TId>(TId notificationId, Layout payload, uint since = 0)
        where TId : struct, Enum
    {
        _notifications.Add(new NotificationSpec(id, Convert.ToByte(notificationId, System.Globalization.CultureInfo.InvariantCulture), notificationId.ToString(), payload, since));
        return this;
    }

    /// <summary>A notification's payload before protocol version <paramref name="before"/>.</summary>
    public ProtocolBuilder NotificationBefore<TId>(TId notificationId, uint before, Layout payload)
        where TId : struct, Enum
    {
        _notifications.Single(n => n.Id == Convert.ToByte(notificationId, System.Globalization.CultureInfo.InvariantCulture)).AddOlder(before, payload);
        return this;
    }

    public ProtocolSpec Build() => new(id, shortName, version, _messages, _notifications);

    private void Add(byte messageId, string name, Layout request, Layout response, Layout? delayedResponse = null, uint since = 0) =>
        _messages.Add(new MessageSpec(id, messageId, name, request, response, delayedResponse, since));
}

/// <summary>Layouts and value tables that several protocols share, described once.</summary>
internal static class Shared
{
    public static readonly Layout VersionOnly = Of(Hex32("version"));

    /// <summary>The reply of every *_NAME_GET: flags (reserved) then a 64-byte name.</summary>
    public static readonly Layout ExtendedName = Of(Reserved("flags"), Name64());

    public static BitsSpec NotifyEnable() => Bits("notify_enable", Flag("notify_enable", 0));

    public static NumberSpec DomainId() => ResourceId("domain_id");

    public static Layout DomainOnly() => Of(DomainId());

    public static Layout DomainNotify() => Of(DomainId(), NotifyEnable());

    /// <summary>Fast channel descriptor, shared by PERFORMANCE_ and POWERCAP_DESCRIBE_FASTCHANNEL (reference 2.4).</summary>
    public static readonly Layout FastChannel = Of(
        Bits("attributes", Flag("doorbell", 0), Field("doorbell_width", 1, 2, Names((0, "8bit"), (1, "16bit"), (2, "32bit"), (3, "64bit")))),
        Bits("rate_limit", Field("rate_limit_us", 0, 20)),
        U64("chan_addr", NumberDisplay.Hex),
        U32("chan_size"),
        U64("db_addr", NumberDisplay.Hex),
        U64("db_set_mask", NumberDisplay.Hex),
        U64("db_preserve_mask", NumberDisplay.Hex));

    /// <summary>The returned (11:0) / remaining (31:16) count word of most lists.</summary>
    public static BitsSpec ListCount(string name) =>
        Bits(name, Field("returned", 0, 12), Field("remaining", 16, 16));

    /// <summary>A count word with a format bit 12: 0 = discrete list, 1 = one {min, max, step} triplet.</summary>
    public static BitsSpec ListCountWithFormat(string name, string rangeName) =>
        Bits(name, Field("returned", 0, 12), Field("format", 12, 1, Names((0, "discrete"), (1, rangeName))), Field("remaining", 16, 16));

    /// <summary>Range/segmented replies are exactly one triplet (reference 1.7).</summary>
    public static readonly LayoutRule[] TripletRule =
        [Rule("a range is one {min, max, step} triplet", "format", 1, ("returned", 3), ("remaining", 0))];

    /// <summary>Sensor unit classes (attributes_high 7:0, axis type; reference 2.6).</summary>
    public static readonly ValueNames SensorUnits = Names(
        v => v is >= 0x60 and < 0xFF,
        [.. UnitNames().Select((n, i) => ((ulong)i, n)), (0xFF, "oem")]);

    private static string[] UnitNames() =>
    [
        "none", "unspecified", "degrees_c", "degrees_f", "kelvin", "volts", "amps", "watts",
        "joules", "coulombs", "va", "nits", "lumens", "lux", "candelas", "kpa",
        "psi", "newtons", "cfm", "rpm", "hertz", "seconds", "minutes", "hours",
        "days", "weeks", "mils", "inches", "feet", "cubic_inches", "cubic_feet", "meters",
        "cubic_cm", "cubic_meters", "liters", "fluid_ounces", "radians", "steradians", "revolutions", "cycles",
        "gravities", "ounces", "pounds", "foot_pounds", "ounce_inches", "gauss", "gilberts", "henries",
        "farads", "ohms", "siemens", "moles", "becquerels", "ppm", "decibels", "dba",
        "dbc", "grays", "sieverts", "color_temp_k", "bits", "bytes", "words", "dwords",
        "qwords", "percentage", "pascals", "counts", "grams", "newton_meters", "hits", "misses",
        "retries", "overruns", "underruns", "collisions", "packets", "messages", "characters", "errors",
        "corrected_errors", "uncorrectable_errors", "square_mils", "square_inches", "square_feet", "square_cm", "square_meters", "radians_per_s",
        "beats_per_min", "m_per_s2", "m_per_s", "m3_per_s", "mm_hg", "radians_per_s2", "binary_state", "bytes_per_s",
    ];
}

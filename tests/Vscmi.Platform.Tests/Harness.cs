using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Drives a platform the way a transport does; requests and replies go through the protocol catalog.</summary>
internal sealed class Harness
{
    private ushort _token;

    public Harness(DeviceModel? model = null, int maxPayload = 128, int agentId = 1, bool hasP2A = true, TimeProvider? time = null)
    {
        Platform = new ScmiPlatform(model ?? ModelLoader.LoadDefault(), time);
        Session = Platform.OpenSession(agentId, maxPayload, hasP2A);
    }

    public Harness(ScmiPlatform platform, int agentId, int maxPayload = 128)
    {
        Platform = platform;
        Session = Platform.OpenSession(agentId, maxPayload);
    }

    public ScmiPlatform Platform { get; }

    public AgentSession Session { get; }

    /// <summary>Sends a command; returns the decoded (strictly checked) response.</summary>
    public ScmiMessage Call(ScmiProtocolId protocol, byte message, params (string Name, object Value)[] args)
    {
        var token = _token++ % (ScmiHeader.MaxToken + 1);
        var header = new ScmiHeader(message, ScmiMessageType.COMMAND, (byte)protocol, (ushort)token);
        var request = ScmiMessageCodec.EncodeToArray(Platform.Model.Release.Protocol((byte)protocol) ?? ScmiCatalog.Find((byte)protocol), header, ScmiMessageKind.Command, 0, Fields(args));
        var reply = Raw(request);
        // Strictly, with the layouts of the release the platform presents (reserved bits must be zero).
        var decoded = ScmiMessageCodec.Decode(reply, ScmiMessageKind.Response, new DecodeOptions { Release = Platform.Model.Release }, Session.MaxPayload);
        Assert.Equal(header, decoded.Header); // the reply echoes the command header
        return decoded;
    }

    public ScmiMessage Call<TId>(TId message, params (string Name, object Value)[] args)
        where TId : struct, Enum =>
        Call(ProtocolOf<TId>(), Convert.ToByte(message, System.Globalization.CultureInfo.InvariantCulture), args);

    /// <summary>Sends a command and expects SUCCESS.</summary>
    public FieldSet Ok<TId>(TId message, params (string Name, object Value)[] args)
        where TId : struct, Enum
    {
        var reply = Call(message, args);
        Assert.True(reply.Status == 0, $"{message} answered {ScmiStatusNames.Describe(reply.Status ?? 0)}");
        return reply.Fields;
    }

    /// <summary>Sends a command and returns only its status (an error reply must carry nothing else).</summary>
    public ScmiStatus Status<TId>(TId message, params (string Name, object Value)[] args)
        where TId : struct, Enum => (ScmiStatus)Call(message, args).Status!.Value;

    /// <summary>Sends raw bytes; returns the raw reply.</summary>
    public byte[] Raw(byte[] message)
    {
        var reply = new byte[Session.ReplyBufferSize];
        var length = Platform.Handle(Session, message, reply);
        Assert.True(length <= Session.ReplyBufferSize);
        return reply[..length];
    }

    public static FieldSet Fields(params (string Name, object Value)[] args)
    {
        var set = new FieldSet();
        foreach (var (name, value) in args)
        {
            switch (value)
            {
                case int i:
                    set.Set(name, (long)i);
                    break;
                case long l:
                    set.Set(name, l);
                    break;
                case uint u:
                    set.Set(name, (ulong)u);
                    break;
                case ulong ul:
                    set.Set(name, ul);
                    break;
                default:
                    throw new ArgumentException($"unsupported value for {name}");
            }
        }

        return set;
    }

    private static ScmiProtocolId ProtocolOf<TId>() => typeof(TId).Name switch
    {
        "BaseMessageId" => ScmiProtocolId.BASE,
        "PowerMessageId" => ScmiProtocolId.POWER,
        "SystemMessageId" => ScmiProtocolId.SYSTEM,
        "PerfMessageId" => ScmiProtocolId.PERF,
        "ClockMessageId" => ScmiProtocolId.CLOCK,
        "SensorMessageId" => ScmiProtocolId.SENSOR,
        "ResetMessageId" => ScmiProtocolId.RESET,
        "VoltageMessageId" => ScmiProtocolId.VOLTAGE,
        "PowercapMessageId" => ScmiProtocolId.POWERCAP,
        "VscmiMessageId" => ScmiProtocolId.VSCMI,
        _ => ScmiProtocolId.PINCTRL,
    };
}

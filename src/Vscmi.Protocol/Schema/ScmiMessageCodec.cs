using Vscmi.Protocol.Protocols;

namespace Vscmi.Protocol.Schema;

/// <summary>Decodes and encodes whole messages (header, status, body) against <see cref="ScmiCatalog"/>.</summary>
public static class ScmiMessageCodec
{
    /// <summary>
    /// Default bound on the bytes after the header (and after the status word of a response):
    /// generous for stream sockets; a channel passes its own (128 for Linux's virtio transport).
    /// </summary>
    public const int DefaultMaxPayload = 4096;

    /// <summary>
    /// Decodes one message (header then payload). A type-0 message is a command or a response:
    /// pass <paramref name="kind"/> to say which; without it both are tried and the one that fits
    /// is returned (see <see cref="DecodeCandidates"/> for the ambiguous case).
    /// </summary>
    /// <exception cref="ScmiProtocolException">The message is malformed, unknown, or ambiguous.</exception>
    public static ScmiMessage Decode(ReadOnlySpan<byte> message, ScmiMessageKind? kind = null, DecodeOptions options = default, int maxPayload = DefaultMaxPayload)
    {
        var candidates = DecodeCandidates(message, kind, options, maxPayload);
        var decoded = candidates.Where(c => c.Message is not null).ToList();
        if (decoded.Count == 1)
            return decoded[0].Message!;
        if (decoded.Count > 1)
            ThrowHelper.Throw(ScmiDecodeError.BadValue, "ambiguous: the bytes decode both as a command and as a response");
        if (candidates.Count == 1)
            throw candidates[0].Error!;
        var reasons = string.Join("; ", candidates.Select(c => $"as a {KindName(c.Kind)}: {c.Error!.Message}"));
        throw new ScmiProtocolException(candidates[0].Error!.Error, reasons);
    }

    /// <summary>Every reading of a message: one for types 2 and 3 or a given kind, two for an unlabelled type 0.</summary>
    public static IReadOnlyList<DecodeCandidate> DecodeCandidates(ReadOnlySpan<byte> message, ScmiMessageKind? kind = null, DecodeOptions options = default, int maxPayload = DefaultMaxPayload)
    {
        var reader = new ScmiReader(message);
        if (!reader.TryReadUInt32(out var word))
            ThrowHelper.Throw(ScmiDecodeError.Truncated, $"a message needs a 4-byte header, got {message.Length} byte(s)");
        if (!ScmiHeader.TryFromValue(word, out var header))
            ThrowHelper.Throw(ScmiDecodeError.BadHeader, $"header 0x{word:X8} has reserved bits 0x{word & ScmiHeader.ReservedMask:X8} set or the reserved type 1");
        var protocol = options.Resolve(header.ProtocolId);
        if (protocol is null)
        {
            ThrowHelper.Throw(ScmiDecodeError.UnknownMessage, options.Release is { } r && ScmiCatalog.Find(header.ProtocolId) is { } newer
                ? $"{r} has no {newer.ShortName} protocol (0x{header.ProtocolId:X2})"
                : $"unknown protocol 0x{header.ProtocolId:X2}");
        }

        var payload = reader.RemainingSpan;

        ScmiMessageKind[] kinds = header.Type switch
        {
            ScmiMessageType.NOTIFICATION => [ScmiMessageKind.Notification],
            ScmiMessageType.DELAYED_RESPONSE => [ScmiMessageKind.DelayedResponse],
            _ when kind is ScmiMessageKind.Command or ScmiMessageKind.Response => [kind.Value],
            _ => [ScmiMessageKind.Command, ScmiMessageKind.Response],
        };
        if (kind is { } wanted && kinds[0] != wanted && kinds.Length == 1 && header.Type != ScmiMessageType.COMMAND)
            ThrowHelper.Throw(ScmiDecodeError.BadHeader, $"header type {header.Type} is not a {KindName(wanted)}");

        var results = new List<DecodeCandidate>(kinds.Length);
        foreach (var k in kinds)
        {
            try
            {
                results.Add(new DecodeCandidate(k, DecodeBody(header, k, protocol, payload, options, maxPayload), null));
            }
            catch (ScmiProtocolException e)
            {
                results.Add(new DecodeCandidate(k, null, e));
            }
        }

        return results;
    }

    /// <summary>Encodes a whole message into <paramref name="destination"/>; returns its length.</summary>
    /// <param name="header">The header (its type must match <paramref name="kind"/>).</param>
    /// <param name="kind">What to encode.</param>
    /// <param name="status">The status of a response or delayed response (ignored otherwise).</param>
    /// <param name="fields">The body; ignored for error replies, which carry only the status.</param>
    /// <param name="destination">Where to write.</param>
    public static int Encode(ScmiHeader header, ScmiMessageKind kind, int status, FieldSet fields, Span<byte> destination) =>
        Encode(ScmiCatalog.Find(header.ProtocolId), header, kind, status, fields, destination);

    /// <summary>Encodes a whole message with the layouts of one version of its protocol (<see cref="ProtocolSpec.At"/>).</summary>
    public static int Encode(ProtocolSpec? protocol, ScmiHeader header, ScmiMessageKind kind, int status, FieldSet fields, Span<byte> destination)
    {
        var writer = new ScmiWriter(destination);
        writer.WriteUInt32(header.Value);
        var hasStatus = kind is ScmiMessageKind.Response or ScmiMessageKind.DelayedResponse;
        if (hasStatus)
        {
            writer.WriteInt32(status);
            if (status != (int)ScmiStatus.SUCCESS)
                return writer.Position;
        }

        var layout = LayoutFor(protocol, header, kind)
            ?? throw new ArgumentException($"no {KindName(kind)} layout for protocol 0x{header.ProtocolId:X2} message 0x{header.MessageId:X2}");
        var length = LayoutCodec.Encode(layout, fields, destination[writer.Position..]);
        return writer.Position + length;
    }

    /// <summary>Encodes a message into a new array.</summary>
    public static byte[] EncodeToArray(ScmiHeader header, ScmiMessageKind kind, int status, FieldSet fields) =>
        LayoutCodec.ToArray(buffer => Encode(header, kind, status, fields, buffer));

    /// <summary>Encodes a message into a new array with the layouts of one version of its protocol.</summary>
    public static byte[] EncodeToArray(ProtocolSpec? protocol, ScmiHeader header, ScmiMessageKind kind, int status, FieldSet fields) =>
        LayoutCodec.ToArray(buffer => Encode(protocol, header, kind, status, fields, buffer));

    /// <summary>The body layout of a message of this kind, or null if the catalog has none.</summary>
    public static Layout? LayoutFor(ScmiHeader header, ScmiMessageKind kind) => LayoutFor(ScmiCatalog.Find(header.ProtocolId), header, kind);

    /// <summary>The body layout of a message of this kind in one version of its protocol, or null if it has none.</summary>
    public static Layout? LayoutFor(ProtocolSpec? protocol, ScmiHeader header, ScmiMessageKind kind)
    {
        if (protocol is null)
            return null;
        if (kind == ScmiMessageKind.Notification)
            return protocol.FindNotification(header.MessageId)?.Payload;
        var message = protocol.FindMessage(header.MessageId);
        return kind switch
        {
            ScmiMessageKind.Command => message?.Request,
            ScmiMessageKind.Response => message?.Response,
            _ => message?.DelayedResponse,
        };
    }

    /// <summary>The word used for a kind in text output: command, response, delayed-response, notification.</summary>
    public static string KindName(ScmiMessageKind kind) => kind switch
    {
        ScmiMessageKind.Command => "command",
        ScmiMessageKind.Response => "response",
        ScmiMessageKind.DelayedResponse => "delayed-response",
        _ => "notification",
    };

    private static ScmiMessage DecodeBody(ScmiHeader header, ScmiMessageKind kind, ProtocolSpec protocol, ReadOnlySpan<byte> payload, DecodeOptions options, int maxPayload)
    {
        string name;
        if (kind == ScmiMessageKind.Notification)
        {
            name = protocol.FindNotification(header.MessageId)?.Name
                ?? throw new ScmiProtocolException(ScmiDecodeError.UnknownMessage, $"unknown {protocol.ShortName} notification 0x{header.MessageId:X2}");
        }
        else
        {
            var message = protocol.FindMessage(header.MessageId)
                ?? throw new ScmiProtocolException(ScmiDecodeError.UnknownMessage, ScmiCatalog.FindMessage(header.ProtocolId, header.MessageId) is { } newer && options.Release is { } release
                    ? $"{newer.Name} is not in {release} ({protocol.ShortName} v{ScmiVersion.Format(protocol.Version)})"
                    : $"unknown {protocol.ShortName} message 0x{header.MessageId:X2}");
            name = message.Name;
            if (kind == ScmiMessageKind.DelayedResponse && message.DelayedResponse is null)
                ThrowHelper.Throw(ScmiDecodeError.UnknownMessage, $"{message.Name} has no delayed response");
        }

        var layout = LayoutFor(protocol, header, kind)!;
        var reader = new ScmiReader(payload);
        int? status = null;
        if (kind is ScmiMessageKind.Response or ScmiMessageKind.DelayedResponse)
        {
            if (!reader.TryReadUInt32(out var statusWord))
                ThrowHelper.Throw(ScmiDecodeError.Truncated, $"a {KindName(kind)} needs a 4-byte status, got {payload.Length} byte(s)", 0);
            status = unchecked((int)statusWord);
            // Status codes are zero or negative; positive values are reserved (reference 1.3).
            if (status > 0 && options.IsStrict)
                ThrowHelper.Throw(ScmiDecodeError.BadValue, $"status {status} is reserved (status codes are zero or negative)", 0);
        }

        // Bound by the channel's maximum message size before decoding anything (reference 4.4).
        if (reader.Remaining > maxPayload)
            ThrowHelper.Throw(ScmiDecodeError.TooLarge, $"{reader.Remaining} bytes exceed the channel's maximum of {maxPayload}");

        if (status is { } s && s != (int)ScmiStatus.SUCCESS)
        {
            // A failed command returns only its status (reference 1.2; a virtio device MUST).
            if (reader.Remaining != 0 && options.IsStrict)
                ThrowHelper.Throw(ScmiDecodeError.TrailingBytes, $"an error reply carries only its status, found {reader.Remaining} more byte(s)", reader.Position);
            return new ScmiMessage(header, kind, protocol, name, s, new FieldSet());
        }

        var fields = LayoutCodec.Decode(layout, reader.RemainingSpan, options);
        return new ScmiMessage(header, kind, protocol, name, status, fields) { Layout = layout };
    }
}

/// <summary>One reading of a message: either the decoded message or why it does not decode that way.</summary>
/// <param name="Kind">The kind tried.</param>
/// <param name="Message">The message, when it decoded.</param>
/// <param name="Error">Why not, otherwise.</param>
public sealed record DecodeCandidate(ScmiMessageKind Kind, ScmiMessage? Message, ScmiProtocolException? Error);

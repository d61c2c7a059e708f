using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests.Golden;

/// <summary>
/// The notation of the golden vectors: each token is an 8-digit hex 32-bit word (written as the
/// value; stored little-endian), <c>n16:text</c> or <c>n64:text</c> for a zero-padded name, or
/// <c>b:hex</c> for raw bytes. The first word is the header.
/// </summary>
public static class GoldenHex
{
    public static byte[] Parse(string vector)
    {
        var bytes = new List<byte>();
        foreach (var token in vector.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.StartsWith("n16:", StringComparison.Ordinal) || token.StartsWith("n64:", StringComparison.Ordinal))
            {
                var size = token[1] == '1' ? 16 : 64;
                var name = new byte[size];
                Encoding.ASCII.GetBytes(token[4..]).CopyTo(name, 0);
                bytes.AddRange(name);
            }
            else if (token.StartsWith("b:", StringComparison.Ordinal))
            {
                bytes.AddRange(Convert.FromHexString(token[2..]));
            }
            else
            {
                if (token.Length != 8)
                    throw new FormatException($"golden word '{token}' is not 8 hex digits");
                var word = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(word, uint.Parse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                bytes.AddRange(word);
            }
        }

        return [.. bytes];
    }

    public static ScmiMessageKind Kind(string letter) => letter switch
    {
        "c" => ScmiMessageKind.Command,
        "r" => ScmiMessageKind.Response,
        "d" => ScmiMessageKind.DelayedResponse,
        "n" => ScmiMessageKind.Notification,
        _ => throw new ArgumentException(letter),
    };
}

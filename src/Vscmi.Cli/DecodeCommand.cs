using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Cli;

/// <summary><c>vscmi decode HEX…</c>: one SCMI message to one readable line, or JSON.</summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var hex = new Argument<string[]>("hex")
        {
            Description =
                "The message: header then payload. Plain hex is bytes in wire order (spaces, ':' and '-' are ignored); " +
                "an argument starting with 0x is one 32-bit word, written little-endian (so '0x00145006 03000000' is the same as '06501400 03000000').",
            Arity = ArgumentArity.OneOrMore,
        };
        var asCommand = new Option<bool>("--command") { Description = "Read a type-0 message as a command (agent to platform)." };
        var asResponse = new Option<bool>("--response") { Description = "Read a type-0 message as a response (status then return values)." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of one line of text." };
        var lenient = new Option<bool>("--lenient") { Description = "Accept non-zero reserved bits and reserved values (lengths and counts are still checked)." };
        var release = new Option<string>("--release")
        {
            Description = "The SCMI release the message belongs to: 2.0, 3.0, 3.1 or 3.2 (the default). Older releases have fewer messages and older layouts (2.0: 8-byte sensor readings, 12-byte performance levels, no clock notifications...).",
            DefaultValueFactory = _ => "3.2",
        };
        var command = new Command("decode", "Decode one SCMI message (command, response, delayed response or notification) into names and field values.\n" +
            "Example: vscmi decode 06501400 03000000  →  CLOCK 0x14 CLOCK_RATE_GET command token=5 clock_id=3")
        {
            hex, asCommand, asResponse, json, lenient, release,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(asCommand) && parse.GetValue(asResponse))
            {
                Console.Error.WriteLine("error: --command and --response exclude each other");
                return 2;
            }

            ScmiMessageKind? kind = parse.GetValue(asCommand) ? ScmiMessageKind.Command
                : parse.GetValue(asResponse) ? ScmiMessageKind.Response
                : null;
            if (!ScmiRelease.TryParse(parse.GetValue(release), out var scmiRelease))
            {
                Console.Error.WriteLine($"error: --release {parse.GetValue(release)}: not an SCMI release (2.0, 3.0, 3.1, 3.2)");
                return 2;
            }

            return Run(parse.GetValue(hex) ?? [], kind, parse.GetValue(json), new DecodeOptions(Lenient: parse.GetValue(lenient)) { Release = scmiRelease });
        });
        return command;
    }

    private static int Run(string[] parts, ScmiMessageKind? kind, bool asJson, DecodeOptions options)
    {
        if (!HexInput.TryParse(parts, out var bytes, out var error))
        {
            Console.Error.WriteLine($"error: {error}");
            return 2;
        }

        try
        {
            var candidates = ScmiMessageCodec.DecodeCandidates(bytes, kind, options);
            var decoded = candidates.Where(c => c.Message is not null).Select(c => c.Message!).ToList();
            if (decoded.Count == 1)
            {
                Print(decoded[0], asJson);
                return 0;
            }

            if (decoded.Count > 1)
            {
                Console.Error.WriteLine("error: ambiguous type-0 message; it reads as either:");
                foreach (var message in decoded)
                    Console.Error.WriteLine("  " + ScmiFormatter.Format(message));
                Console.Error.WriteLine("pass --command or --response to choose");
                return 1;
            }

            foreach (var candidate in candidates)
            {
                var prefix = candidates.Count > 1 ? $"as a {ScmiMessageCodec.KindName(candidate.Kind)}: " : "";
                Console.Error.WriteLine($"error: {prefix}{candidate.Error!.Message}");
            }

            return 1;
        }
        catch (ScmiProtocolException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static void Print(ScmiMessage message, bool asJson)
    {
        if (!asJson)
        {
            Console.WriteLine(ScmiFormatter.Format(message));
            return;
        }

        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            ScmiFormatter.WriteJson(json, message);
        stdout.Write("\n"u8);
    }
}

/// <summary>Parses the hex forms <c>vscmi decode</c> accepts.</summary>
internal static class HexInput
{
    public static bool TryParse(IReadOnlyList<string> parts, out byte[] bytes, out string error)
    {
        var result = new List<byte>();
        bytes = [];
        error = "";
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            if (part.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                if (!uint.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var word) || part.Length > 10)
                {
                    error = $"argument {i + 1} '{part}' is not a 32-bit hex word";
                    return false;
                }

                result.AddRange(BitConverter.GetBytes(word));
                continue;
            }

            var digits = new string(part.Where(c => c is not (' ' or ':' or '-' or '_' or '\t')).ToArray());
            if (digits.Length % 2 != 0)
            {
                error = $"argument {i + 1} '{part}' has an odd number of hex digits";
                return false;
            }

            for (var d = 0; d < digits.Length; d += 2)
            {
                if (!byte.TryParse(digits.AsSpan(d, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                {
                    error = $"argument {i + 1} '{part}': '{digits.Substring(d, 2)}' is not a hex byte";
                    return false;
                }

                result.Add(b);
            }
        }

        if (result.Count == 0)
        {
            error = "no bytes given";
            return false;
        }

        bytes = [.. result];
        return true;
    }
}

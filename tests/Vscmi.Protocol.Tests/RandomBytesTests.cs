using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests;

/// <summary>Every decoder on random and mutated bytes: the only exception allowed is <see cref="ScmiProtocolException"/>.</summary>
public class RandomBytesTests
{
    [Fact]
    public void Every_layout_decoder_survives_random_and_mutated_bytes()
    {
        var random = new Random(20261124);
        var layouts = SchemaSampler.AllLayouts().ToList();
        var inputs = 0;
        var accepted = 0;
        foreach (var c in layouts)
        {
            for (var i = 0; i < 400; i++)
            {
                byte[] bytes;
                if (i % 2 == 0)
                {
                    bytes = new byte[random.Next(0, 160)];
                    random.NextBytes(bytes);
                }
                else
                {
                    bytes = Mutate(LayoutCodec.EncodeToArray(c.Layout, SchemaSampler.Generate(c.Layout, random)), random);
                }

                foreach (var strict in new[] { true, false })
                {
                    inputs++;
                    try
                    {
                        var decoded = LayoutCodec.Decode(c.Layout, bytes, new DecodeOptions(Lenient: !strict));
                        accepted++;
                        // Whatever decodes re-encodes to a canonical body that decodes to the same values.
                        Assert.Equal(decoded, LayoutCodec.Decode(c.Layout, LayoutCodec.EncodeToArray(c.Layout, decoded), DecodeOptions.Relaxed));
                    }
                    catch (ScmiProtocolException)
                    {
                    }
                }
            }
        }

        Assert.True(inputs >= 100_000, $"only {inputs} inputs");
        Assert.InRange(accepted, 1, inputs - 1);
    }

    [Fact]
    public void The_message_decoder_survives_random_messages()
    {
        var random = new Random(42);
        var layouts = SchemaSampler.AllLayouts().ToList();
        for (var i = 0; i < 100_000; i++)
        {
            byte[] bytes;
            if (i % 3 == 0)
            {
                bytes = new byte[random.Next(0, 140)];
                random.NextBytes(bytes);
            }
            else
            {
                // A plausible header (known protocol and id, random type and token) in front of random or valid bodies.
                var c = layouts[random.Next(layouts.Count)];
                var header = (uint)c.Id | ((uint)random.Next(4) << 8) | ((uint)c.Protocol << 10) | ((uint)random.Next(1024) << 18);
                var body = i % 3 == 1
                    ? RandomBody(random)
                    : LayoutCodec.EncodeToArray(c.Layout, SchemaSampler.Generate(c.Layout, random));
                var status = c.Kind is ScmiMessageKind.Response or ScmiMessageKind.DelayedResponse ? new byte[4] : [];
                bytes = Mutate([.. BitConverter.GetBytes(header), .. status, .. body], random);
            }

            ScmiMessageKind? kind = random.Next(3) switch { 0 => null, 1 => ScmiMessageKind.Command, _ => ScmiMessageKind.Response };
            try
            {
                var message = ScmiMessageCodec.Decode(bytes, kind, new DecodeOptions(random.Next(2) == 0), maxPayload: random.Next(2) == 0 ? 128 : 4096);
                Assert.NotNull(ScmiFormatter.Format(message));
            }
            catch (ScmiProtocolException)
            {
            }
        }
    }

    private static byte[] RandomBody(Random random)
    {
        var body = new byte[random.Next(0, 100)];
        random.NextBytes(body);
        return body;
    }

    private static byte[] Mutate(byte[] bytes, Random random)
    {
        var list = bytes.ToList();
        switch (random.Next(5))
        {
            case 0 when list.Count > 0:
                list.RemoveRange(random.Next(list.Count), 1);
                break;
            case 1:
                list.Insert(random.Next(list.Count + 1), (byte)random.Next(256));
                break;
            case 2 when list.Count > 0:
                var keep = random.Next(list.Count);
                list.RemoveRange(keep, list.Count - keep);
                break;
            case 3:
                break;
            default:
                for (var flips = random.Next(1, 4); flips > 0 && list.Count > 0; flips--)
                    list[random.Next(list.Count)] ^= (byte)(1 << random.Next(8));
                break;
        }

        return [.. list];
    }
}

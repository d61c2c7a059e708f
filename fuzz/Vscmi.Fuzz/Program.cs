using System.Diagnostics;
using SharpFuzz;
using Vscmi.Fuzz;

// vscmi fuzz targets.
//   Vscmi.Fuzz TARGET                       read inputs from AFL (SharpFuzz out-of-process mode); see fuzz/run.sh
//   Vscmi.Fuzz TARGET --replay FILE|DIR...  run each input once (a crash reproduces)
//   Vscmi.Fuzz TARGET --random N [--seed S] [--corpus DIR]
//                                           N inputs: random bytes and mutations of the corpus (CI's smoke run)
if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Vscmi.Fuzz TARGET [--replay PATH... | --random N [--seed S] [--corpus DIR]]\ntargets: {string.Join(", ", Targets.All.Keys)}");
    return 2;
}

if (args.Length == 1)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target(buffer.ToArray());
    });
    return 0;
}

if (args[1] == "--replay")
{
    var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).ToList();
    foreach (var file in files)
        target(File.ReadAllBytes(file));
    Console.WriteLine($"{args[0]}: {files.Count} input(s) replayed, no finding");
    return 0;
}

if (args[1] == "--random" && args.Length >= 3 && int.TryParse(args[2], out var count))
{
    var seed = Option("--seed") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 1;
    var corpus = Option("--corpus") is { } dir && Directory.Exists(dir) ? Directory.GetFiles(dir).Select(File.ReadAllBytes).ToList() : [];
    var random = new Random(seed);
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        var input = corpus.Count > 0 && random.Next(4) != 0 ? Mutate(corpus[random.Next(corpus.Count)], random) : RandomBytes(random);
        try
        {
            target(input);
        }
        catch (Exception e)
        {
            var path = Path.Combine(Path.GetTempPath(), $"vscmi-fuzz-{args[0]}-{seed}-{i}.bin");
            File.WriteAllBytes(path, input);
            Console.Error.WriteLine($"{args[0]}: input {i} (seed {seed}) escaped {e.GetType().Name}: {e.Message}\nsaved as {path}\n{e}");
            return 1;
        }
    }

    Console.WriteLine($"{args[0]}: {count} inputs in {watch.Elapsed.TotalSeconds:0.0} s, no finding");
    return 0;
}

Console.Error.WriteLine("unknown options; run without arguments for usage");
return 2;

string? Option(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

static byte[] RandomBytes(Random random)
{
    var bytes = new byte[random.Next(0, 300)];
    random.NextBytes(bytes);
    return bytes;
}

static byte[] Mutate(byte[] seed, Random random)
{
    var bytes = seed.ToArray();
    for (var flips = random.Next(1, 8); flips > 0 && bytes.Length > 0; flips--)
    {
        var at = random.Next(bytes.Length);
        bytes[at] = random.Next(3) switch
        {
            0 => (byte)random.Next(256),
            1 => (byte)(bytes[at] ^ (1 << random.Next(8))),
            _ => (byte)(bytes[at] + random.Next(-2, 3)),
        };
    }

    if (random.Next(8) == 0)
        Array.Resize(ref bytes, Math.Max(0, bytes.Length + random.Next(-8, 9)));
    return bytes;
}

using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Agent;
using Vscmi.Platform;
using Vscmi.Platform.Hosting;
using Vscmi.Platform.Model;
using Vscmi.Protocol.Schema;
using Vscmi.Transport;
using OpenTelemetry.Metrics;

// dotnet run -c Release --project bench/Vscmi.Bench -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(PlatformBenchmarks).Assembly).Run(args);

/// <summary>A message in, a reply out, inside the platform (no transport).</summary>
[MemoryDiagnoser]
public class PlatformBenchmarks
{
    private readonly ScmiPlatform _platform = new(ModelLoader.WithoutCommandLimits(ModelLoader.LoadDefault()));
    private AgentSession _session = null!;
    private readonly byte[] _reply = new byte[136];
    private readonly byte[] _rateGet = Words(0x00005006, 3);
    private readonly byte[] _sensorRead = Words(0x00005406, 0, 0);
    private readonly byte[] _describeSensors = Words(0x00005403, 0);
    private readonly byte[] _malformed = Words(0x00005006);

    [GlobalSetup]
    public void Setup() => _session = _platform.OpenSession(1);

    [Benchmark(Baseline = true)]
    public int ClockRateGet() => _platform.Handle(_session, _rateGet, _reply);

    [Benchmark]
    public int SensorReadingGet() => _platform.Handle(_session, _sensorRead, _reply);

    [Benchmark]
    public int SensorDescriptionGet() => _platform.Handle(_session, _describeSensors, _reply);

    [Benchmark]
    public int MalformedRequest() => _platform.Handle(_session, _malformed, _reply);

    internal static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }
}

/// <summary>The generic, description-driven codec (tools, tests and the agent use it).</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _rateGetResponse = PlatformBenchmarks.Words(0x00045006, 0, 200000000, 0);
    private byte[] _sensorDescriptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        var platform = new ScmiPlatform(ModelLoader.WithoutCommandLimits(ModelLoader.LoadDefault()));
        var reply = new byte[136];
        var length = platform.Handle(platform.OpenSession(1), PlatformBenchmarks.Words(0x00005403, 0), reply);
        _sensorDescriptions = reply[..length];
    }

    [Benchmark(Baseline = true)]
    public ScmiMessage DecodeRateGetResponse() => ScmiMessageCodec.Decode(_rateGetResponse, ScmiMessageKind.Response);

    [Benchmark]
    public ScmiMessage DecodeSensorDescriptions() => ScmiMessageCodec.Decode(_sensorDescriptions, ScmiMessageKind.Response);

    [Benchmark]
    public string FormatSensorDescriptions() => ScmiFormatter.Format(ScmiMessageCodec.Decode(_sensorDescriptions, ScmiMessageKind.Response));
}

/// <summary>Agent to platform over a real Unix socket: one request at a time, and 16 in flight.</summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private readonly string _socket = Path.Combine(Path.GetTempPath(), $"vscmi-bench-{Environment.ProcessId}.sock");
    private PlatformServer _server = null!;
    private ScmiClient _client = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = new PlatformServer(new ScmiPlatform(ModelLoader.WithoutCommandLimits(ModelLoader.LoadDefault())), new TransportCapabilities(128, 1, true), NullLogger.Instance);
        _server.Listen(StreamEndpoint.Parse("unix:" + _socket), 1);
        _server.Start();
        _client = await ScmiClient.ConnectAsync("unix:" + _socket);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<ulong> ClockRateGet_1InFlight() => _client.Clock.GetRateAsync(3);

    [Benchmark(OperationsPerInvoke = 16)]
    public Task ClockRateGet_16InFlight() => Task.WhenAll(Enumerable.Range(0, 16).Select(_ => _client.Clock.GetRateAsync(3)));
}

/// <summary>
/// What watching costs the hot path (docs/observability.md): CLOCK_RATE_GET with nothing
/// listening, with OpenTelemetry's SDK collecting the metrics, and with a trace subscriber whose
/// ring is kept drained. Run all three in one sitting; compare ratios, not nanoseconds.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private readonly byte[] _reply = new byte[136];
    private readonly byte[] _rateGet = PlatformBenchmarks.Words(0x00005006, 3);
    private ScmiPlatform _platform = null!;
    private AgentSession _session = null!;
    private OpenTelemetry.Metrics.MeterProvider? _metrics;
    private Vscmi.Platform.Telemetry.TraceSubscription? _trace;

    [Params("off", "metrics", "trace")]
    public string Watching { get; set; } = "off";

    [GlobalSetup]
    public void Setup()
    {
        _platform = new ScmiPlatform(ModelLoader.WithoutCommandLimits(ModelLoader.LoadDefault()));
        _session = _platform.OpenSession(1);
        if (Watching == "metrics")
        {
            Vscmi.Platform.Telemetry.PlatformMetrics.Register(_platform);
            _metrics = OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter(Vscmi.Platform.Telemetry.PlatformMetrics.MeterName)
                .AddInMemoryExporter(new List<OpenTelemetry.Metrics.Metric>()).Build();
        }

        if (Watching == "trace")
            _trace = _platform.Trace.Subscribe(capacity: 1 << 20);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _metrics?.Dispose();
        _trace?.Dispose();
    }

    [Benchmark]
    public int ClockRateGet()
    {
        var length = _platform.Handle(_session, _rateGet, _reply);
        if (_trace is not null)
        {
            while (_trace.Records.TryRead(out _))
            {
            }
        }

        return length;
    }
}

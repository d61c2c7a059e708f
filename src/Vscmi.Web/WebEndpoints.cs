using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Vscmi.Platform;
using Vscmi.Platform.Telemetry;

namespace Vscmi.Web;

/// <summary>What <c>vscmi serve</c> serves over HTTP, each on its own address (null: off).</summary>
/// <param name="Metrics">Where the Prometheus endpoint listens (<c>/metrics</c>).</param>
/// <param name="Dashboard">Where the dashboard listens.</param>
/// <param name="DashboardAgent">
/// The agent (1-based) the dashboard acts as when it changes anything; null: the page only shows.
/// Its actions are SCMI commands on a session of that agent, checked like any other.
/// </param>
public sealed record WebOptions(IPEndPoint? Metrics, IPEndPoint? Dashboard, int? DashboardAgent = null);

/// <summary>
/// The HTTP side of the daemon: the Prometheus scrape endpoint (OpenTelemetry's exporter over the
/// <c>Vscmi.*</c> meters) and the dashboard. Both are Kestrel on the addresses given, loopback
/// unless the operator says otherwise; neither is on the SCMI data path.
/// </summary>
public sealed class WebEndpoints : IAsyncDisposable
{
    /// <summary>Every meter vscmi has, exported on <c>/metrics</c>.</summary>
    public static readonly string[] MeterNames = [PlatformMetrics.MeterName, "Vscmi.Virtio", "Vscmi.VhostUser"];

    private readonly List<WebApplication> _apps = [];
    private Dashboard? _dashboard;

    private WebEndpoints()
    {
    }

    /// <summary>The metrics endpoint's URL once listening (the real port when 0 was asked), or null.</summary>
    public Uri? MetricsUrl { get; private set; }

    /// <summary>The dashboard's URL once listening, or null.</summary>
    public Uri? DashboardUrl { get; private set; }

    /// <summary>Starts what <paramref name="options"/> asks for.</summary>
    /// <exception cref="IOException">An address is in use or cannot be bound.</exception>
    public static async Task<WebEndpoints> StartAsync(ScmiPlatform platform, WebOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(options);
        var endpoints = new WebEndpoints();
        try
        {
            PlatformMetrics.Register(platform);
            if (options.Metrics is { } metrics)
            {
                var app = Build(metrics, loggerFactory, services => services.AddOpenTelemetry()
                    .ConfigureResource(resource => resource.AddService("vscmi"))
                    .WithMetrics(m => m.AddMeter(MeterNames).AddPrometheusExporter()));
                app.MapPrometheusScrapingEndpoint("/metrics");
                app.MapGet("/", context => context.Response.WriteAsync("vscmi metrics: GET /metrics (Prometheus text format)\n", context.RequestAborted));
                endpoints.MetricsUrl = await endpoints.StartAppAsync(app, cancellationToken).ConfigureAwait(false);
            }

            if (options.Dashboard is { } dashboard)
            {
                var app = Build(dashboard, loggerFactory, _ => { });
                endpoints._dashboard = new Dashboard(platform, options.DashboardAgent, loggerFactory.CreateLogger("vscmi.dashboard"));
                endpoints._dashboard.Map(app);
                endpoints.DashboardUrl = await endpoints.StartAppAsync(app, cancellationToken).ConfigureAwait(false);
                endpoints._dashboard.Start();
            }
        }
        catch
        {
            await endpoints.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return endpoints;
    }

    private static WebApplication Build(IPEndPoint endpoint, ILoggerFactory loggerFactory, Action<IServiceCollection> services)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The daemon's own log lines; ASP.NET Core's start-up chatter only when it is a warning.
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            kestrel.AddServerHeader = false;
        });
        services(builder.Services);
        return builder.Build();
    }

    private async Task<Uri> StartAppAsync(WebApplication app, CancellationToken cancellationToken)
    {
        _apps.Add(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new IOException("the web server reports no address");
        return new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal));
    }

    private sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_dashboard is not null)
            await _dashboard.DisposeAsync().ConfigureAwait(false);
        foreach (var app in _apps)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        _apps.Clear();
    }
}

using System.Net;
using ClientCertHttp.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace ClientCertHttp.Yarp.Tests;

/// <summary>
/// A real YARP proxy: Kestrel on 127.0.0.1:0 (plain HTTP in front), one catch-all route to one cluster, configured
/// in memory, with the ClientCertHttp clients the test registers. Records the forwarder's error of each request.
/// </summary>
internal sealed class YarpProxy : IAsyncDisposable
{
    private readonly WebApplication _app;

    private YarpProxy(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    /// <summary>The forwarder errors seen so far, with their exceptions, in order.</summary>
    public List<(ForwarderError Error, Exception? Exception)> Errors { get; } = [];

    public static ClusterConfig Cluster(Uri destination, string? clientName, HttpClientConfig? httpClient = null) => new()
    {
        ClusterId = "backend-cluster",
        Destinations = new Dictionary<string, DestinationConfig> { ["only"] = new() { Address = destination.ToString() } },
        Metadata = clientName is null ? null : new Dictionary<string, string> { [ClientCertHttpClusterMetadata.ClientName] = clientName },
        HttpClient = httpClient,
    };

    public static async Task<YarpProxy> StartAsync(ClusterConfig cluster, Action<IServiceCollection> configureServices, Action<IReverseProxyBuilder>? configureProxy = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders().AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        configureServices(builder.Services);
        RouteConfig[] routes = [new() { RouteId = "all", ClusterId = cluster.ClusterId, Match = new RouteMatch { Path = "{**catch-all}" } }];
        var reverseProxy = builder.Services.AddReverseProxy().LoadFromMemory(routes, [cluster]);
        configureProxy?.Invoke(reverseProxy);
        reverseProxy.AddClientCertHttpForwarding();

        var app = builder.Build();
        YarpProxy? proxy = null;
        app.MapReverseProxy(pipeline => pipeline.Use(async (context, next) =>
        {
            await next();
            if (context.GetForwarderErrorFeature() is { } error)
            {
                lock (proxy!.Errors)
                {
                    proxy.Errors.Add((error.Error, error.Exception));
                }
            }
        }));

        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        proxy = new YarpProxy(app, new Uri(address));
        return proxy;
    }

    /// <summary>Sends a GET through the proxy with a plain client (the proxy's front end is HTTP) that follows no redirect itself.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Address };
        return await client.GetAsync(new Uri(path, UriKind.Relative));
    }

    public async Task<MtlsRequestReport> WhoAmIAsync()
    {
        using var response = await GetAsync("whoami");
        return await MtlsTestServer.ReadReportAsync(response);
    }

    /// <summary>A GET of whoami through the proxy with one extra request header.</summary>
    public async Task<MtlsRequestReport> WhoAmIAsync(string header, string value)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative));
        request.Headers.Add(header, value);
        using var response = await client.SendAsync(request);
        return await MtlsTestServer.ReadReportAsync(response);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

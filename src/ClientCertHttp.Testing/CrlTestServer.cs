using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Testing;

/// <summary>
/// A plain-HTTP Kestrel server on 127.0.0.1 (random port) that serves CRLs published with <see cref="Publish"/>,
/// or, with <see cref="Unresponsive"/>, accepts requests and never answers, like a revocation endpoint that is down
/// behind a load balancer.
/// </summary>
public sealed class CrlTestServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte[]> _crls = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private int _requestCount;

    private CrlTestServer()
    {
    }

    /// <summary>The base address, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets or sets a value indicating whether requests are held open without an answer until the server stops.</summary>
    public bool Unresponsive { get; set; }

    /// <summary>The number of requests received so far.</summary>
    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>Starts a server on 127.0.0.1 with an OS-assigned port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<CrlTestServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new CrlTestServer();
        try
        {
            await server.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The absolute URL of <paramref name="path"/> on this server.</summary>
    /// <param name="path">A relative path such as <c>intermediate.crl</c>.</param>
    /// <returns>The URL.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public Uri Url(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new(BaseAddress, path.TrimStart('/'));
    }

    /// <summary>Serves <paramref name="crl"/> at <paramref name="path"/> from now on.</summary>
    /// <param name="path">A relative path such as <c>intermediate.crl</c>.</param>
    /// <param name="crl">The DER CRL.</param>
    public void Publish(string path, byte[] crl)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(crl);
        _crls[path.TrimStart('/')] = crl;
    }

    /// <summary>Stops the server, releasing unanswered requests.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        WebApplication app = builder.Build();
        _app = app;
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        BaseAddress = new Uri($"http://127.0.0.1:{address.Port}/");
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requestCount);
        if (Unresponsive)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, both.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                context.Abort();
            }

            return;
        }

        if (!_crls.TryGetValue(context.Request.Path.Value?.TrimStart('/') ?? string.Empty, out byte[]? crl))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/pkix-crl";
        await context.Response.Body.WriteAsync(crl, context.RequestAborted).ConfigureAwait(false);
    }
}

using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace ClientCertHttp.Benchmarks;

/// <summary>The client key the benchmark's client certificate uses.</summary>
public enum ClientKey
{
    /// <summary>ECDSA on the P-256 curve.</summary>
    EcdsaP256,

    /// <summary>RSA with a 2048-bit modulus.</summary>
    Rsa2048,
}

/// <summary>
/// Uses the run's benchmark server (in a child process) and builds the clients every suite compares against it: the
/// hand-written SocketsHttpHandler (the baseline), that same handler inside IHttpClientFactory's pipeline,
/// ClientCertHttp with retries off (what the library itself adds) and with its default retry pipeline, and the naive
/// HttpClientHandler.
/// </summary>
internal sealed class Clients : IDisposable
{
    public const string Password = "benchmark-only";
    private readonly List<IDisposable> _owned = [];

    private Clients(ServerProcess server, ClientKey key)
    {
        Server = server;
        PfxPath = server.PfxPath(key);
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(PfxPath, Password);
        Leaf = all.First(c => c.HasPrivateKey);
        foreach (var other in all.Where(c => !ReferenceEquals(c, Leaf)))
        {
            other.Dispose();
        }
    }

    public ServerProcess Server { get; }

    public X509Certificate2 Root => Server.Root;

    public X509Certificate2 Intermediate => Server.Intermediate;

    public X509Certificate2 Leaf { get; }

    public string PfxPath { get; }

    public string RootPath => Server.RootPath;

    public static Clients Create(ClientKey key = ClientKey.EcdsaP256) => new(ServerProcess.Shared, key);

    /// <summary>The best hand-written client: the full chain in one SslStreamCertificateContext, built once.</summary>
    public SocketsHttpHandler NewHandWrittenHandler(SslProtocols protocols = SslProtocols.None)
    {
        var chainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        chainPolicy.CustomTrustStore.Add(Root);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(Leaf, [Intermediate], offline: true),
                CertificateChainPolicy = chainPolicy,
                EnabledSslProtocols = protocols,
            },
        };
    }

    public HttpClient HandWritten(SslProtocols protocols = SslProtocols.None) => Own(new HttpClient(NewHandWrittenHandler(protocols)));

    /// <summary>
    /// What people write first: HttpClientHandler with the leaf in ClientCertificates. The handshake sends the leaf
    /// only, so only a server that trusts the client intermediate accepts it. It validates the server against the
    /// machine trust, so <see cref="TrustRootForNaiveClient"/> must have run first.
    /// </summary>
    public HttpClient Naive(SslProtocols protocols = SslProtocols.None)
    {
#pragma warning disable CA2000 // The HttpClient owns the handler.
        var handler = new HttpClientHandler { ClientCertificateOptions = ClientCertificateOption.Manual, SslProtocols = protocols };
#pragma warning restore CA2000
        handler.ClientCertificates.Add(Leaf);
        return Own(new HttpClient(handler));
    }

    /// <summary>
    /// Puts the test root in the (isolated, per-process) current-user root store, the way a naive setup trusts its
    /// server: through the machine trust, with no validation code of its own.
    /// </summary>
    public void TrustRootForNaiveClient()
    {
        IsolatedUserStore.Initialize();
        _owned.Add(IsolatedUserStore.Add("Root", Root));
    }

    /// <summary>The hand-written handler, built by IHttpClientFactory with its default logging handlers.</summary>
    public HttpClient Factory(SslProtocols protocols = SslProtocols.None) =>
        StartHost(services => services.AddHttpClient("plain").ConfigurePrimaryHttpMessageHandler(() => NewHandWrittenHandler(protocols)), "plain");

    /// <summary>
    /// The hand-written handler in IHttpClientFactory behind a retry pipeline of the shape and settings of ClientCertHttp's
    /// default one (total timeout 30 s, 3 retries with exponential jittered backoff, attempt timeout 10 s), built with
    /// Microsoft.Extensions.Http.Resilience directly: what retries cost without ClientCertHttp.
    /// </summary>
    public HttpClient FactoryWithRetry() =>
        StartHost(
            services => services.AddHttpClient("plain-retry")
                .ConfigurePrimaryHttpMessageHandler(() => NewHandWrittenHandler())
                .AddResilienceHandler("retry", pipeline => AddDefaultRetryShape(pipeline)),
            "plain-retry");

    /// <summary>
    /// The shape and settings of ClientCertHttp's default retry pipeline (total timeout 30 s, 3 retries with
    /// exponential jittered backoff, attempt timeout 10 s), for the comparisons that build it with Polly directly.
    /// </summary>
    public static ResiliencePipelineBuilder<HttpResponseMessage> AddDefaultRetryShape(ResiliencePipelineBuilder<HttpResponseMessage> pipeline) => pipeline
        .AddTimeout(TimeSpan.FromSeconds(30))
        .AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            MaxDelay = TimeSpan.FromSeconds(5),
        })
        .AddTimeout(TimeSpan.FromSeconds(10));

    /// <summary>
    /// ClientCertHttp from a PFX file, with or without its retry pipeline, and optionally without the factory's
    /// logging handlers (<c>RemoveAllLoggers</c>), which leaves exactly the handlers the library adds.
    /// </summary>
    public HttpClient ClientCertHttp(bool retry, SslProtocols protocols = SslProtocols.None, bool removeFactoryLoggers = false) =>
        StartHost(
            services =>
            {
                var builder = AddClientCertHttp(services, retry, protocols, baseAddress: null, warmupConnections: 0);
                if (removeFactoryLoggers)
                {
                    builder.RemoveAllLoggers();
                }
            },
            "clientcerthttp");

    /// <summary>
    /// A per-identity ClientCertHttp client (the PFX as identity <c>tenant-1</c>, no certificate of the client's own),
    /// reached through <see cref="ClientCertHttp.Identities.IClientCertHttpClientFactory"/>: the identity lookup on
    /// the request path.
    /// </summary>
    public HttpClient ClientCertHttpIdentity(bool retry)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddClientCertHttpClient("clientcerthttp-identities", o =>
        {
            o.Identities.Certificates["tenant-1"] = new ClientCertHttp.Certificates.ClientCertificateOptions { Path = PfxPath, Password = Password };
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = RootPath;
            o.Retry.Enabled = retry;
            o.Reload.Enabled = false;
        });
        var host = builder.Build();
        host.Start();
        _owned.Add(host);
        return Own(host.Services.GetRequiredService<ClientCertHttp.Identities.IClientCertHttpClientFactory>().CreateClient("clientcerthttp-identities", "tenant-1"));
    }

    /// <summary>
    /// A client of IHttpClientFactory without its logging handlers whose last handler answers in memory
    /// (<see cref="InMemoryAnswer"/>): what the handlers above it cost, without the network. <paramref name="configure"/>
    /// adds them (a retry pipeline, the factory's default loggers again, …).
    /// </summary>
    public HttpClient InMemory(string name, Action<IHttpClientBuilder>? configure = null) =>
        StartHost(
            services =>
            {
                var builder = services.AddHttpClient(name).RemoveAllLoggers();
                configure?.Invoke(builder);
                builder.AddHttpMessageHandler(() => new InMemoryAnswer());
            },
            name);

    /// <summary>The ClientCertHttp client, without the factory's loggers, answered in memory below its handlers.</summary>
    public HttpClient ClientCertHttpInMemory(bool retry) =>
        StartHost(services => AddClientCertHttp(services, retry, SslProtocols.None, baseAddress: null, warmupConnections: 0).RemoveAllLoggers().AddHttpMessageHandler(() => new InMemoryAnswer()), "clientcerthttp");

    public IHost NewClientCertHttpHost(bool retry, Uri? baseAddress = null, int warmupConnections = 0, Action<IServiceCollection>? more = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        AddClientCertHttp(builder.Services, retry, SslProtocols.None, baseAddress, warmupConnections);
        more?.Invoke(builder.Services);
        return builder.Build();
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        Leaf.Dispose();
    }

    private IHttpClientBuilder AddClientCertHttp(IServiceCollection services, bool retry, SslProtocols protocols, Uri? baseAddress, int warmupConnections)
    {
        var builder = services.AddClientCertHttpClient("clientcerthttp", o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Path = PfxPath;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = RootPath;
            o.Retry.Enabled = retry;
            o.Reload.Enabled = false;
            o.Warmup.Connections = warmupConnections;
        });
        if (protocols != SslProtocols.None)
        {
            builder.UseSocketsHttpHandler((handler, _) => handler.SslOptions.EnabledSslProtocols = protocols);
        }

        return builder;
    }

    private HttpClient StartHost(Action<IServiceCollection> configure, string name)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        configure(builder.Services);
        var host = builder.Build();
        host.Start();
        _owned.Add(host);
        return Own(host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(name));
    }

    private HttpClient Own(HttpClient client)
    {
        _owned.Add(client);
        return client;
    }
}

/// <summary>
/// Answers every request with 200, after yielding once when <see cref="Yield"/> is set, so that every handler above it
/// completes asynchronously, as over a network (their async frames are allocated as on a real request); without it
/// everything completes synchronously, which times the handlers' own code without a thread-pool hop's noise.
/// </summary>
internal sealed class InMemoryAnswer : DelegatingHandler
{
    /// <summary>Gets or sets a value indicating whether the answer comes after a yield (process-wide, set by the suite).</summary>
    public static bool Yield { get; set; } = true;

    // The response belongs to the caller, which disposes it.
#pragma warning disable CA2000
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Yield ? AnswerLaterAsync(request) : Task.FromResult(Answer(request));
#pragma warning restore CA2000

    private static async Task<HttpResponseMessage> AnswerLaterAsync(HttpRequestMessage request)
    {
        await Task.Yield();
        return Answer(request);
    }

    private static HttpResponseMessage Answer(HttpRequestMessage request) => new(System.Net.HttpStatusCode.OK) { RequestMessage = request };
}

/// <summary>One request the way every suite sends it.</summary>
internal static class Requests
{
    public static async Task<int> SendAsync(HttpClient client, Uri uri, bool closeConnection, Version? version = null)
    {
        using var request = Create(uri, closeConnection, version);
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }

    /// <summary>What the server saw of a request (for the checks in [GlobalSetup], never in a measured method).</summary>
    public static async Task<MtlsRequestReport> ReportAsync(HttpClient client, Uri uri, bool closeConnection, Version? version = null)
    {
        using var request = Create(uri, closeConnection, version);
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        return await MtlsTestServer.ReadReportAsync(response).ConfigureAwait(false);
    }

    private static HttpRequestMessage Create(Uri uri, bool closeConnection, Version? version)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (version is not null)
        {
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        request.Headers.ConnectionClose = closeConnection ? true : null;
        return request;
    }
}

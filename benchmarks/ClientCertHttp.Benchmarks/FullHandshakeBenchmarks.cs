using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using ClientCertHttp.TestUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// One full mTLS handshake per request (the server closes every connection; the URL host is an IP literal, so no
/// TLS session is resumed): the hand-written SocketsHttpHandler with ClientCertificateContext against the same
/// request through AddClientCertHttpClient and IHttpClientFactory.
/// </summary>
[MemoryDiagnoser]
public class FullHandshakeBenchmarks
{
    private const string Password = "benchmark-only";

    private TestCertificateAuthority _ca = null!;
    private TempDirectory _temp = null!;
    private MtlsTestServer _server = null!;
    private X509Certificate2 _leaf = null!;
    private HttpClient _handWritten = null!;
    private IHost _host = null!;
    private HttpClient _clientCertHttp = null!;
    private Uri _uri = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("Benchmark");
        _temp = new TempDirectory();
        _server = MtlsTestServer.StartAsync(_ca).GetAwaiter().GetResult();
        _uri = new Uri(_server.BaseAddress, "whoami");
        _leaf = _ca.IssueClientCertificate("CN=benchmark-client");
        var pfx = _ca.WritePfx(_temp.Combine("client.pfx"), _leaf, Password);
        var root = _ca.WriteRootPem(_temp.Combine("root.pem"));

        var chainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        chainPolicy.CustomTrustStore.Add(_ca.Root);
#pragma warning disable CA2000 // The HttpClient owns and disposes the handler.
        _handWritten = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(_leaf, [_ca.Intermediate], offline: true),
                CertificateChainPolicy = chainPolicy,
            },
        });
#pragma warning restore CA2000

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddClientCertHttpClient("benchmark", o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = root;
        });
        _host = builder.Build();
        _host.Start();
        _clientCertHttp = _host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("benchmark");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clientCertHttp.Dispose();
        _host.Dispose();
        _handWritten.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _leaf.Dispose();
        _temp.Dispose();
        _ca.Dispose();
    }

    [Benchmark(Baseline = true, Description = "hand-written SocketsHttpHandler")]
    public Task<int> HandWritten() => SendAsync(_handWritten);

    [Benchmark(Description = "AddClientCertHttpClient")]
    public Task<int> ClientCertHttp() => SendAsync(_clientCertHttp);

    private async Task<int> SendAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        request.Headers.ConnectionClose = true;
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }
}

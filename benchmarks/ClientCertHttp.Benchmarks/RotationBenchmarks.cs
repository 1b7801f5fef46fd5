using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ClientCertHttp.Certificates;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// A certificate swap: its own cost (a reload through <see cref="IClientCertificateReloader"/> that finds a different
/// certificate, against what a hand-written rotation does: a new context and a new handler), and the latency of the
/// first request after it, which needs a new connection. The per-request latency percentiles during a swap under
/// load are measured by <c>--rotation-latency</c> (see <see cref="RotationLatency"/>), since BenchmarkDotNet's
/// statistics are per iteration, not per request.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RotationBenchmarks
{
    private Clients _clients = null!;
    private AlternatingProvider _provider = null!;
    private IHost _host = null!;
    private IClientCertificateReloader _reloader = null!;
    private HttpClient _clientCertHttp = null!;
    private byte[][] _pfxBytes = null!;
    private Uri _uri = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _clients = Clients.Create();
        _uri = new Uri(_clients.Server.BaseAddress, "whoami");
        _pfxBytes = [File.ReadAllBytes(_clients.Server.PfxPath(ClientKey.EcdsaP256, 1)), File.ReadAllBytes(_clients.Server.PfxPath(ClientKey.EcdsaP256, 2))];
        _provider = new AlternatingProvider(_pfxBytes, _clients.Intermediate.RawData);
        _host = _clients.NewClientCertHttpHost(retry: false, more: services =>
            services.AddHttpClient("rotating").AddClientCertificate(o =>
            {
                o.Reload.Enabled = false;
                o.Reload.DrainTimeout = TimeSpan.Zero;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = _clients.RootPath;
                o.Retry.Enabled = false;
            }).AddCertificateProvider(_provider));
        _host.Start();
        _reloader = _host.Services.GetRequiredService<IClientCertificateReloader>();
        _clientCertHttp = _host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        Requests.SendAsync(_clientCertHttp, _uri, closeConnection: false).GetAwaiter().GetResult();
        if (!SwapAsync().GetAwaiter().GetResult().Changed)
        {
            throw new InvalidOperationException("The reload did not change the certificate.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clientCertHttp.Dispose();
        _host.Dispose();
        _clients.Dispose();
    }

    [BenchmarkCategory("Swap"), Benchmark(Baseline = true, Description = "hand-written: load PKCS#12 bytes, new context + new SocketsHttpHandler")]
    public void SwapHandWritten()
    {
        var leaf = X509CertificateLoader.LoadPkcs12(_pfxBytes[_next++ & 1], Clients.Password);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(leaf, [_clients.Intermediate], offline: true),
            },
        };
    }

    [BenchmarkCategory("Swap"), Benchmark(Description = "ClientCertHttp: IClientCertificateReloader.ReloadAsync (changed)")]
    public Task<ClientCertificateReloadResult> SwapClientCertHttp() => SwapAsync();

    [BenchmarkCategory("Request"), Benchmark(Baseline = true, Description = "ClientCertHttp: request, no swap")]
    public Task<int> SteadyRequest() => Requests.SendAsync(_clientCertHttp, _uri, closeConnection: false);

    [BenchmarkCategory("Request"), Benchmark(Description = "ClientCertHttp: swap, then the first request")]
    public async Task<int> RequestAfterSwap()
    {
        await SwapAsync().ConfigureAwait(false);
        return await Requests.SendAsync(_clientCertHttp, _uri, closeConnection: false).ConfigureAwait(false);
    }

    private Task<ClientCertificateReloadResult> SwapAsync()
    {
        _provider.Advance();
        return _reloader.ReloadAsync("rotating");
    }

    /// <summary>
    /// Hands out two certificates in turn, so every reload changes the certificate; like a secret store, it loads
    /// fresh objects from bytes each time (ClientCertHttp owns and disposes what a provider returns).
    /// </summary>
    internal sealed class AlternatingProvider(byte[][] pfxBytes, byte[] intermediate) : ICertificateProvider
    {
        private int _index;

        public void Advance() => Interlocked.Increment(ref _index);

        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ClientCertificateBundle?>(new ClientCertificateBundle(
                X509CertificateLoader.LoadPkcs12(pfxBytes[Volatile.Read(ref _index) & 1], Clients.Password),
                [X509CertificateLoader.LoadCertificate(intermediate)]));
    }
}

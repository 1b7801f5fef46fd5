using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// What loading a certificate costs, once per certificate (at startup and on a rotation, never per request or
/// connection): the hand-written load plus <see cref="SslStreamCertificateContext.Create(X509Certificate2, X509Certificate2Collection?, bool, SslCertificateTrust?)"/>
/// against a ClientCertHttp reload of the same source through <see cref="IClientCertificateReloader"/> (which loads,
/// validates and builds the context, then finds it unchanged). The encrypted PEM key uses 2048 PBKDF2 iterations,
/// OpenSSL's default.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CertificateLoadBenchmarks
{
    private const string Password = Clients.Password;
    private Clients _clients = null!;
    private TempDirectory _temp = null!;
    private IHost _host = null!;
    private IClientCertificateReloader _reloader = null!;
    private string _certificatePem = null!;
    private string _keyPem = null!;
    private X509Certificate2Collection _intermediates = null!;
    private string _thumbprint = null!;
    private IDisposable[] _storeEntries = [];

    [GlobalSetup]
    public void Setup()
    {
        IsolatedUserStore.Initialize();
        _clients = Clients.Create();
        _temp = new TempDirectory();
        _intermediates = [_clients.Intermediate];
        _thumbprint = _clients.Leaf.Thumbprint;
        _certificatePem = TestCertificateAuthority.WriteCertificatePem(_temp.Combine("client.crt"), _clients.Leaf, _clients.Intermediate);
        _keyPem = _temp.Combine("client.key");
        File.WriteAllText(_keyPem, TestCertificateAuthority.ExportPrivateKeyPem(_clients.Leaf, TestPrivateKeyFormat.EncryptedPkcs8, Password, iterations: 2048));
        // Removed again in [GlobalCleanup]: left in the store, the leaf and intermediate would change what the naive
        // client of a later suite in the same run sends (it would find its intermediate in the CA store).
        _storeEntries = [IsolatedUserStore.Add("My", _clients.Leaf), IsolatedUserStore.Add("CA", _clients.Intermediate)];

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        void Common(ClientCertHttpOptions o)
        {
            o.Reload.Enabled = false;
            o.Reload.DrainTimeout = TimeSpan.Zero;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = _clients.RootPath;
        }

        builder.Services.AddClientCertHttpClient("pfx", o =>
        {
            Common(o);
            o.Certificate.Path = _clients.PfxPath;
            o.Certificate.Password = Password;
        });
        builder.Services.AddClientCertHttpClient("pem", o =>
        {
            Common(o);
            o.Certificate.Path = _certificatePem;
            o.Certificate.KeyPath = _keyPem;
            o.Certificate.Password = Password;
        });
        builder.Services.AddClientCertHttpClient("store", o =>
        {
            Common(o);
            o.Certificate.Store = "My";
            o.Certificate.Thumbprint = _thumbprint;
        });
        _host = builder.Build();
        _host.Start();
        _reloader = _host.Services.GetRequiredService<IClientCertificateReloader>();
        foreach (var name in new[] { "pfx", "pem", "store" })
        {
            var result = _reloader.ReloadAsync(name).GetAwaiter().GetResult();
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"{name}: {result.Error}");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        foreach (var entry in _storeEntries)
        {
            entry.Dispose();
        }

        _clients.Dispose();
        _temp.Dispose();
    }

    [BenchmarkCategory("PFX"), Benchmark(Baseline = true, Description = "hand-written: LoadPkcs12FromFile + context")]
    public SslStreamCertificateContext PfxHandWritten()
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(_clients.PfxPath, Password);
        var leaf = all.First(c => c.HasPrivateKey);
        return Context(leaf, [.. all.Where(c => !ReferenceEquals(c, leaf))]);
    }

    [BenchmarkCategory("PFX"), Benchmark(Description = "ClientCertHttp reload")]
    public Task<ClientCertificateReloadResult> PfxClientCertHttp() => _reloader.ReloadAsync("pfx");

    [BenchmarkCategory("PEM + encrypted key"), Benchmark(Baseline = true, Description = "hand-written: CreateFromEncryptedPemFile + context")]
    public SslStreamCertificateContext PemHandWritten()
    {
#pragma warning disable CA2000 // The returned context keeps the certificate; the benchmark discards both, as the PFX case does.
        var certificate = X509Certificate2.CreateFromEncryptedPemFile(_certificatePem, Password, _keyPem);
#pragma warning restore CA2000
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(_certificatePem);
        return Context(certificate, [.. chain.Skip(1)]);
    }

    [BenchmarkCategory("PEM + encrypted key"), Benchmark(Description = "ClientCertHttp reload")]
    public Task<ClientCertificateReloadResult> PemClientCertHttp() => _reloader.ReloadAsync("pem");

    [BenchmarkCategory("Store"), Benchmark(Baseline = true, Description = "hand-written: X509Store find by thumbprint + context")]
    public SslStreamCertificateContext StoreHandWritten()
    {
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly);
        var found = store.Certificates.Find(X509FindType.FindByThumbprint, _thumbprint, validOnly: false);
        return Context(found[0], _intermediates);
    }

    [BenchmarkCategory("Store"), Benchmark(Description = "ClientCertHttp reload")]
    public Task<ClientCertificateReloadResult> StoreClientCertHttp() => _reloader.ReloadAsync("store");

    [BenchmarkCategory("Context"), Benchmark(Baseline = true, Description = "SslStreamCertificateContext.Create(offline: true)")]
    public SslStreamCertificateContext ContextOnly() => SslStreamCertificateContext.Create(_clients.Leaf, _intermediates, offline: true);

    private static SslStreamCertificateContext Context(X509Certificate2 leaf, X509Certificate2Collection intermediates) =>
        SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
}

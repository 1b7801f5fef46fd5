using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// What validating one server chain costs: the chain build SslStream does once per handshake, with the system trust
/// store (the baseline) and with a custom root, and the same custom-root build followed by ClientCertHttp's
/// validation callback, taken from a handler the factory built (the callback only reads the built chain).
/// The chain is leaf → intermediate → root of a run-time CA; the system build ends at an untrusted root, so it does
/// the same path building and signature checks without a trust decision in its favour. The last benchmark is the
/// callback alone on a chain built once, i.e. what ClientCertHttp adds to each handshake on success.
/// </summary>
[MemoryDiagnoser]
public class ServerValidationBenchmarks
{
    private const string Password = "benchmark-only";
    private static readonly object Sender = new();

    private TestCertificateAuthority _ca = null!;
    private TempDirectory _temp = null!;
    private X509Certificate2 _leaf = null!;
    private X509Certificate2 _intermediate = null!;
    private X509Certificate2 _root = null!;
    private X509ChainPolicy _systemPolicy = null!;
    private X509ChainPolicy _customPolicy = null!;
    private X509ChainPolicy _libraryPolicy = null!;
    private RemoteCertificateValidationCallback _libraryCallback = null!;
    private IHost _host = null!;
    private X509Chain _builtChain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("Validation benchmark");
        _temp = new TempDirectory();
        using (var withKey = _ca.IssueServerCertificate())
        {
            _leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        }

        _intermediate = X509CertificateLoader.LoadCertificate(_ca.Intermediate.RawData);
        _root = X509CertificateLoader.LoadCertificate(_ca.Root.RawData);

        // As SslStream sets it up: the certificates the server sent in ExtraStore, serverAuth, no revocation.
        _systemPolicy = new X509ChainPolicy { RevocationMode = X509RevocationMode.NoCheck };
        _systemPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        _systemPolicy.ExtraStore.Add(_intermediate);
        _systemPolicy.ExtraStore.Add(_root);
        _customPolicy = _systemPolicy.Clone();
        _customPolicy.ExtraStore.Remove(_root);
        _customPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        _customPolicy.CustomTrustStore.Add(_root);

        using var client = _ca.IssueClientCertificate("CN=benchmark-client");
        var pfx = _ca.WritePfx(_temp.Combine("client.pfx"), client, Password);
        var rootPem = _ca.WriteRootPem(_temp.Combine("root.pem"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddClientCertHttpClient("benchmark", o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = rootPem;
        });
        _host = builder.Build();
        _host.Start();
        var handler = _host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("benchmark");
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        // The primary handler is the library's rotating wrapper; the SocketsHttpHandler it forwards to carries the TLS options.
        var ssl = ((ClientCertHttp.Handler.RotatingClientCertificateHandler)handler).CurrentHandler.SslOptions;
        _libraryPolicy = ssl.CertificateChainPolicy!;
        _libraryPolicy.ExtraStore.Add(_intermediate);
        _libraryCallback = ssl.RemoteCertificateValidationCallback!;

        _builtChain = new X509Chain { ChainPolicy = _libraryPolicy };
        if (!_builtChain.Build(_leaf))
        {
            throw new InvalidOperationException("The benchmark chain does not validate.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var element in _builtChain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        _builtChain.Dispose();
        _host.Dispose();
        _leaf.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
        _temp.Dispose();
        _ca.Dispose();
    }

    [Benchmark(Baseline = true, Description = "System trust: chain build")]
    public bool SystemTrust() => Build(_systemPolicy, callback: null);

    [Benchmark(Description = "CustomRoots: chain build")]
    public bool CustomRoots() => Build(_customPolicy, callback: null);

    [Benchmark(Description = "ClientCertHttp CustomRoots: chain build + callback")]
    public bool ClientCertHttpCustomRoots() => Build(_libraryPolicy, _libraryCallback);

    [Benchmark(Description = "ClientCertHttp callback alone (chain already built)")]
    public bool CallbackAlone() => _libraryCallback(Sender, _leaf, _builtChain, SslPolicyErrors.None);

    private bool Build(X509ChainPolicy policy, RemoteCertificateValidationCallback? callback)
    {
        using var chain = new X509Chain { ChainPolicy = policy };
        try
        {
            var valid = chain.Build(_leaf);
            return callback is null
                ? valid
                : callback(Sender, _leaf, chain, valid ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, _leaf))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }
}

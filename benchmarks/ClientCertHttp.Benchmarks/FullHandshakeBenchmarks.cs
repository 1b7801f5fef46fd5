using System.Security.Authentication;
using BenchmarkDotNet.Attributes;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// One full mTLS handshake per request: the server closes every connection, and the URL host is an IP literal, so no
/// TLS session is ever resumed. The server trusts the client intermediate as well as the root, so that the naive
/// client, which sends only its leaf, can connect at all.
/// </summary>
[MemoryDiagnoser]
public class FullHandshakeBenchmarks : ConnectionPerRequestBenchmarks
{
    private HttpClient _naive = null!;

    /// <summary>Gets or sets the client certificate's key.</summary>
    [Params(ClientKey.EcdsaP256, ClientKey.Rsa2048)]
    public ClientKey Key { get; set; }

    /// <summary>Gets or sets the TLS version every client is limited to.</summary>
    [Params("1.2", "1.3")]
    public string Tls { get; set; } = "1.3";

    [GlobalSetup]
    public void Setup()
    {
        Run = Clients.Create(Key);
        Run.TrustRootForNaiveClient();
        Target = new Uri(Run.Server.IntermediateTrustingAddress, "whoami");
#pragma warning disable CA5398 // The TLS version is the benchmark's parameter.
        var protocols = Tls == "1.2" ? SslProtocols.Tls12 : SslProtocols.Tls13;
#pragma warning restore CA5398
        HandWrittenClient = Run.HandWritten(protocols);
        FactoryClient = Run.Factory(protocols);
        ClientCertHttpNoRetryClient = Run.ClientCertHttp(retry: false, protocols);
        ClientCertHttpClient = Run.ClientCertHttp(retry: true, protocols);
        _naive = Run.Naive(protocols);
        foreach (var client in ComparedClients.Append(_naive))
        {
            Check.Tls(client, Target, Tls);
            Check.Resumed(client, Target, expected: false);
        }
    }

    [Benchmark(Description = "naive HttpClientHandler.ClientCertificates")]
    public Task<int> Naive() => Requests.SendAsync(_naive, Target, closeConnection: true);
}

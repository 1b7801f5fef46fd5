using System.Security.Authentication;
using BenchmarkDotNet.Attributes;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// One full mTLS handshake per request: the server closes every connection, and the URL host is an IP literal, so no
/// TLS session is ever resumed. The server trusts the client intermediate as well as the root, so that the naive
/// client, which sends only its leaf, can connect at all.
/// </summary>
[MemoryDiagnoser]
public class FullHandshakeBenchmarks
{
    private Clients _clients = null!;
    private HttpClient _handWritten = null!;
    private HttpClient _factory = null!;
    private HttpClient _clientCertHttpNoRetry = null!;
    private HttpClient _clientCertHttp = null!;
    private HttpClient _naive = null!;
    private Uri _uri = null!;

    /// <summary>Gets or sets the client certificate's key.</summary>
    [Params(ClientKey.EcdsaP256, ClientKey.Rsa2048)]
    public ClientKey Key { get; set; }

    /// <summary>Gets or sets the TLS version every client is limited to.</summary>
    [Params("1.2", "1.3")]
    public string Tls { get; set; } = "1.3";

    [GlobalSetup]
    public void Setup()
    {
        _clients = Clients.Create(Key);
        _clients.TrustRootForNaiveClient();
        _uri = new Uri(_clients.Server.IntermediateTrustingAddress, "whoami");
#pragma warning disable CA5398 // The TLS version is the benchmark's parameter.
        var protocols = Tls == "1.2" ? SslProtocols.Tls12 : SslProtocols.Tls13;
#pragma warning restore CA5398
        _handWritten = _clients.HandWritten(protocols);
        _factory = _clients.Factory(protocols);
        _clientCertHttpNoRetry = _clients.ClientCertHttp(retry: false, protocols);
        _clientCertHttp = _clients.ClientCertHttp(retry: true, protocols);
        _naive = _clients.Naive(protocols);
        foreach (var client in new[] { _handWritten, _factory, _clientCertHttpNoRetry, _clientCertHttp, _naive })
        {
            Check.Tls(client, _uri, Tls);
        }

        // Not the naive client: the test server reports a leaf-only handshake of a known leaf as resumed.
        foreach (var client in new[] { _handWritten, _factory, _clientCertHttpNoRetry, _clientCertHttp })
        {
            Check.Resumed(client, _uri, expected: false);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clients.Dispose();
    }

    [Benchmark(Baseline = true, Description = "hand-written SocketsHttpHandler")]
    public Task<int> HandWritten() => Requests.SendAsync(_handWritten, _uri, closeConnection: true);

    [Benchmark(Description = "hand-written handler in IHttpClientFactory")]
    public Task<int> Factory() => Requests.SendAsync(_factory, _uri, closeConnection: true);

    [Benchmark(Description = "ClientCertHttp, Retry:Enabled=false")]
    public Task<int> ClientCertHttpNoRetry() => Requests.SendAsync(_clientCertHttpNoRetry, _uri, closeConnection: true);

    [Benchmark(Description = "ClientCertHttp, default retry")]
    public Task<int> ClientCertHttp() => Requests.SendAsync(_clientCertHttp, _uri, closeConnection: true);

    [Benchmark(Description = "naive HttpClientHandler.ClientCertificates")]
    public Task<int> Naive() => Requests.SendAsync(_naive, _uri, closeConnection: true);
}

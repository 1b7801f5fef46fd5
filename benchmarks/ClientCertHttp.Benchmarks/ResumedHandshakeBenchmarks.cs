using BenchmarkDotNet.Attributes;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// A new connection per request with TLS session resumption allowed: the URL host is <c>localhost</c>, so the client
/// sends SNI and reuses its session ticket, and the server accepts the resumed session.
/// </summary>
[MemoryDiagnoser]
public class ResumedHandshakeBenchmarks
{
    private Clients _clients = null!;
    private HttpClient _handWritten = null!;
    private HttpClient _factory = null!;
    private HttpClient _clientCertHttpNoRetry = null!;
    private HttpClient _clientCertHttp = null!;
    private Uri _uri = null!;

    [GlobalSetup]
    public void Setup()
    {
        _clients = Clients.Create();
        _uri = new Uri(_clients.Server.LocalhostAddress, "whoami");
        _handWritten = _clients.HandWritten();
        _factory = _clients.Factory();
        _clientCertHttpNoRetry = _clients.ClientCertHttp(retry: false);
        _clientCertHttp = _clients.ClientCertHttp(retry: true);
        foreach (var client in new[] { _handWritten, _factory, _clientCertHttpNoRetry, _clientCertHttp })
        {
            Check.Resumed(client, _uri, expected: true);
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
}

using BenchmarkDotNet.Attributes;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// Requests over a connection that is already open and handshaken: what ClientCertHttp adds to the hot path. The
/// difference between the factory-built hand-written handler and ClientCertHttp with retries off is the library's
/// own cost; the factory's logging handlers and the retry pipeline are measured apart.
/// </summary>
[MemoryDiagnoser]
public class KeepAliveRequestBenchmarks
{
    private Clients _clients = null!;
    private HttpClient _handWritten = null!;
    private HttpClient _factory = null!;
    private HttpClient _clientCertHttpNoRetry = null!;
    private HttpClient _clientCertHttp = null!;
    private HttpClient _clientCertHttpNoLoggers = null!;
    private HttpClient _clientCertHttpIdentity = null!;
    private Uri _uri = null!;
    private Version _version = null!;

    /// <summary>Gets or sets the HTTP version of every request (exact, no downgrade).</summary>
    [Params("1.1", "2.0")]
    public string Http { get; set; } = "1.1";

    [GlobalSetup]
    public void Setup()
    {
        _clients = Clients.Create();
        _uri = new Uri(_clients.Server.BaseAddress, "whoami");
        _version = Version.Parse(Http);
        _handWritten = _clients.HandWritten();
        _factory = _clients.Factory();
        _clientCertHttpNoRetry = _clients.ClientCertHttp(retry: false);
        _clientCertHttp = _clients.ClientCertHttp(retry: true);
        _clientCertHttpNoLoggers = _clients.ClientCertHttp(retry: false, removeFactoryLoggers: true);
        _clientCertHttpIdentity = _clients.ClientCertHttpIdentity(retry: false);
        foreach (var client in new[] { _handWritten, _factory, _clientCertHttpNoRetry, _clientCertHttp, _clientCertHttpNoLoggers, _clientCertHttpIdentity })
        {
            Check.Http(client, _uri, _version);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clients.Dispose();
    }

    [Benchmark(Baseline = true, Description = "hand-written SocketsHttpHandler")]
    public Task<int> HandWritten() => Requests.SendAsync(_handWritten, _uri, closeConnection: false, _version);

    [Benchmark(Description = "hand-written handler in IHttpClientFactory")]
    public Task<int> Factory() => Requests.SendAsync(_factory, _uri, closeConnection: false, _version);

    [Benchmark(Description = "ClientCertHttp, Retry:Enabled=false")]
    public Task<int> ClientCertHttpNoRetry() => Requests.SendAsync(_clientCertHttpNoRetry, _uri, closeConnection: false, _version);

    [Benchmark(Description = "ClientCertHttp, Retry:Enabled=false, RemoveAllLoggers()")]
    public Task<int> ClientCertHttpNoRetryNoLoggers() => Requests.SendAsync(_clientCertHttpNoLoggers, _uri, closeConnection: false, _version);

    [Benchmark(Description = "ClientCertHttp per-identity client, identity from IClientCertHttpClientFactory, Retry:Enabled=false")]
    public Task<int> ClientCertHttpIdentityNoRetry() => Requests.SendAsync(_clientCertHttpIdentity, _uri, closeConnection: false, _version);

    [Benchmark(Description = "ClientCertHttp, default retry")]
    public Task<int> ClientCertHttp() => Requests.SendAsync(_clientCertHttp, _uri, closeConnection: false, _version);
}

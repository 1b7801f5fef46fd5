namespace ClientCertHttp.Benchmarks;

/// <summary>
/// The four clients every new-connection-per-request suite compares, and their benchmark methods: each request asks
/// the server to close the connection, so the next one opens a new connection. Derived suites choose the server
/// address (IP literal: full handshake; host name: resumed session) and check that the handshakes are what they claim.
/// </summary>
public abstract class ConnectionPerRequestBenchmarks
{
    /// <summary>Gets or sets the clients, server and certificates of the run.</summary>
    private protected Clients Run { get; set; } = null!;

    /// <summary>Gets or sets the address every request goes to.</summary>
    protected Uri Target { get; set; } = null!;

    /// <summary>Gets or sets the hand-written SocketsHttpHandler client (the Baseline).</summary>
    protected HttpClient HandWrittenClient { get; set; } = null!;

    /// <summary>Gets or sets the same handler built by IHttpClientFactory.</summary>
    protected HttpClient FactoryClient { get; set; } = null!;

    /// <summary>Gets or sets ClientCertHttp with retries off.</summary>
    protected HttpClient ClientCertHttpNoRetryClient { get; set; } = null!;

    /// <summary>Gets or sets ClientCertHttp with the default retry pipeline.</summary>
    protected HttpClient ClientCertHttpClient { get; set; } = null!;

    /// <summary>Gets the four compared clients.</summary>
    protected IEnumerable<HttpClient> ComparedClients => [HandWrittenClient, FactoryClient, ClientCertHttpNoRetryClient, ClientCertHttpClient];

    [BenchmarkDotNet.Attributes.GlobalCleanup]
    public void Cleanup() => Run.Dispose();

    [BenchmarkDotNet.Attributes.Benchmark(Baseline = true, Description = "hand-written SocketsHttpHandler")]
    public Task<int> HandWritten() => Requests.SendAsync(HandWrittenClient, Target, closeConnection: true);

    [BenchmarkDotNet.Attributes.Benchmark(Description = "hand-written handler in IHttpClientFactory")]
    public Task<int> Factory() => Requests.SendAsync(FactoryClient, Target, closeConnection: true);

    [BenchmarkDotNet.Attributes.Benchmark(Description = "ClientCertHttp, Retry:Enabled=false")]
    public Task<int> ClientCertHttpNoRetry() => Requests.SendAsync(ClientCertHttpNoRetryClient, Target, closeConnection: true);

    [BenchmarkDotNet.Attributes.Benchmark(Description = "ClientCertHttp, default retry")]
    public Task<int> ClientCertHttp() => Requests.SendAsync(ClientCertHttpClient, Target, closeConnection: true);
}

using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// The latency of the first request of a freshly started application: every iteration starts a new host (or
/// hand-written client) in [IterationSetup] and measures exactly one request. The baseline is a request on a
/// connection that is already open, which is what the first request costs with <c>Warmup:Connections</c>.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
public class FirstRequestBenchmarks
{
    private Clients _clients = null!;
    private Uri _uri = null!;
    private IHost? _host;
    private HttpClient? _client;

    [GlobalSetup]
    public void Setup()
    {
        _clients = Clients.Create();
        _uri = new Uri(_clients.Server.BaseAddress, "whoami");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clients.Dispose();
    }

    [IterationSetup(Target = nameof(KeepAlive))]
    public void SetupKeepAlive()
    {
        StartHost(warmupConnections: 0);
        Requests.SendAsync(_client!, _uri, closeConnection: false).GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(Cold))]
    public void SetupCold() => StartHost(warmupConnections: 0);

    [IterationSetup(Target = nameof(Warm))]
    public void SetupWarm() => StartHost(warmupConnections: 1);

    [IterationSetup(Target = nameof(HandWrittenCold))]
    public void SetupHandWritten() => _client = new HttpClient(_clients.NewHandWrittenHandler());

    [IterationCleanup]
    public void CleanupIteration()
    {
        _client?.Dispose();
        // Stop before disposing, as an application does, so the next iteration does not share the machine with a
        // host that is still tearing down.
        _host?.StopAsync().GetAwaiter().GetResult();
        _host?.Dispose();
        _client = null;
        _host = null;
    }

    [Benchmark(Baseline = true, Description = "ClientCertHttp: a request on an open connection (reference)")]
    public Task<int> KeepAlive() => Requests.SendAsync(_client!, _uri, closeConnection: false);

    [Benchmark(Description = "ClientCertHttp: first request, no warm-up")]
    public Task<int> Cold() => Requests.SendAsync(_client!, _uri, closeConnection: false);

    [Benchmark(Description = "ClientCertHttp: first request, Warmup:Connections=1")]
    public Task<int> Warm() => Requests.SendAsync(_client!, _uri, closeConnection: false);

    [Benchmark(Description = "hand-written SocketsHttpHandler: first request")]
    public Task<int> HandWrittenCold() => Requests.SendAsync(_client!, _uri, closeConnection: false);

    private void StartHost(int warmupConnections)
    {
        _host = _clients.NewClientCertHttpHost(retry: true, _clients.Server.BaseAddress, warmupConnections);
        _host.Start();
        _client = _host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("clientcerthttp");
    }
}

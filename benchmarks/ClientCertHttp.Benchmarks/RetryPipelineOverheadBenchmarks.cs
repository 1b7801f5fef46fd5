using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// What each building block of a retrying client costs per successful request, without the network: every client is
/// IHttpClientFactory's without its logging handlers, answered in memory below its handlers (<see cref="InMemoryAnswer"/>,
/// asynchronously). The retry pipelines have ClientCertHttp's default shape and settings (total timeout 30 s, 3 retries
/// with exponential jittered backoff, attempt timeout 10 s). Measures apart: the factory's default loggers,
/// Microsoft.Extensions.Http.Resilience's <c>AddResilienceHandler</c>, the same Polly pipeline run directly by a handler
/// with a pooled context, and ClientCertHttp with retries on (its first attempt goes past the pipeline) and off.
/// </summary>
[MemoryDiagnoser]
public class RetryPipelineOverheadBenchmarks
{
    private static readonly Uri Target = new("https://overhead.invalid/");

    private Clients _clients = null!;
    private HttpClient _none = null!;
    private HttpClient _loggers = null!;
    private HttpClient _resilienceHandler = null!;
    private HttpClient _pollyDirect = null!;
    private HttpClient _clientCertHttp = null!;
    private HttpClient _clientCertHttpNoRetry = null!;

    /// <summary>
    /// Gets or sets a value indicating whether the in-memory answer comes asynchronously (every handler's async frame
    /// is allocated, as over a network) or synchronously (the handlers' own code, timed without a thread-pool hop).
    /// </summary>
    [Params(true, false)]
    public bool Async { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        InMemoryAnswer.Yield = Async;
        _clients = Clients.Create();
        _none = _clients.InMemory("none");
        _loggers = _clients.InMemory("loggers", b => b.AddDefaultLogger());
        _resilienceHandler = _clients.InMemory("resilience-handler", b => b.AddResilienceHandler("retry", pipeline => Clients.AddDefaultRetryShape(pipeline)));
        var direct = Clients.AddDefaultRetryShape(new ResiliencePipelineBuilder<HttpResponseMessage>()).Build();
        _pollyDirect = _clients.InMemory("polly-direct", b => b.AddHttpMessageHandler(() => new PollyHandler(direct)));
        _clientCertHttp = _clients.ClientCertHttpInMemory(retry: true);
        _clientCertHttpNoRetry = _clients.ClientCertHttpInMemory(retry: false);
        foreach (var client in new[] { _none, _loggers, _resilienceHandler, _pollyDirect, _clientCertHttp, _clientCertHttpNoRetry })
        {
            Requests.SendAsync(client, Target, closeConnection: false).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _clients.Dispose();

    [Benchmark(Baseline = true, Description = "no handler (factory, RemoveAllLoggers)")]
    public Task<int> None() => Requests.SendAsync(_none, Target, closeConnection: false);

    [Benchmark(Description = "the factory's default loggers")]
    public Task<int> Loggers() => Requests.SendAsync(_loggers, Target, closeConnection: false);

    [Benchmark(Description = "AddResilienceHandler (timeout, retry, timeout)")]
    public Task<int> ResilienceHandler() => Requests.SendAsync(_resilienceHandler, Target, closeConnection: false);

    [Benchmark(Description = "Polly ResiliencePipeline run directly (same strategies)")]
    public Task<int> PollyDirect() => Requests.SendAsync(_pollyDirect, Target, closeConnection: false);

    [Benchmark(Description = "ClientCertHttp, default retry")]
    public Task<int> ClientCertHttp() => Requests.SendAsync(_clientCertHttp, Target, closeConnection: false);

    [Benchmark(Description = "ClientCertHttp, Retry:Enabled=false")]
    public Task<int> ClientCertHttpNoRetry() => Requests.SendAsync(_clientCertHttpNoRetry, Target, closeConnection: false);

    /// <summary>A Polly pipeline executed directly, with a pooled context and a static callback: Polly's cheapest use.</summary>
    private sealed class PollyHandler(ResiliencePipeline<HttpResponseMessage> pipeline) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            try
            {
                var outcome = await pipeline.ExecuteOutcomeAsync(
                    static async (context, state) =>
                    {
                        try
                        {
                            return Outcome.FromResult(await state.Handler.SendCoreAsync(state.Request, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext));
                        }
                        catch (Exception ex)
                        {
                            return Outcome.FromException<HttpResponseMessage>(ex);
                        }
                    },
                    context,
                    (Handler: this, Request: request)).ConfigureAwait(false);
                outcome.ThrowIfException();
                return outcome.Result!;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);
    }
}

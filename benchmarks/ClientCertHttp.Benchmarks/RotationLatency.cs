using System.Diagnostics;
using ClientCertHttp.Certificates;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// Per-request latency percentiles while certificates are swapped (<c>--rotation-latency</c>): a few workers send
/// requests back to back over kept-alive connections; windows without a swap alternate with windows that contain one
/// swap (a reload through <see cref="IClientCertificateReloader"/> that changes the certificate), and every request's
/// latency and outcome is recorded. BenchmarkDotNet reports per-iteration statistics, which cannot show a p99 of
/// single requests, hence this harness. Retries are off, so a failed request is never hidden by a retry.
/// </summary>
internal static class RotationLatency
{
    public static async Task<int> RunAsync(TimeSpan window, int cycles, int workers)
    {
        using var clients = Clients.Create();
        var provider = new RotationBenchmarks.AlternatingProvider(
            [File.ReadAllBytes(clients.Server.PfxPath(ClientKey.EcdsaP256, 1)), File.ReadAllBytes(clients.Server.PfxPath(ClientKey.EcdsaP256, 2))],
            clients.Intermediate.RawData);
        using var host = clients.NewClientCertHttpHost(retry: false, more: services =>
            services.AddHttpClient("rotating").AddClientCertificate(o =>
            {
                o.Reload.Enabled = false;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = clients.RootPath;
                o.Retry.Enabled = false;
            }).AddCertificateProvider(provider));
        await host.StartAsync().ConfigureAwait(false);
        var reloader = host.Services.GetRequiredService<IClientCertificateReloader>();
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        var uri = new Uri(clients.Server.BaseAddress, "whoami");

        var steady = new Phase();
        var swapping = new Phase();
        await MeasureAsync(client, uri, workers, window, steady, swap: null).ConfigureAwait(false); // warm-up, discarded
        steady = new Phase();
        var swaps = 0;
        for (var i = 0; i < cycles; i++)
        {
            await MeasureAsync(client, uri, workers, window, steady, swap: null).ConfigureAwait(false);
            await MeasureAsync(client, uri, workers, window, swapping, swap: async () =>
            {
                provider.Advance();
                var result = await reloader.ReloadAsync("rotating").ConfigureAwait(false);
                if (result.Changed)
                {
                    Interlocked.Increment(ref swaps);
                }
            }).ConfigureAwait(false);
        }

        var steadyP99 = steady.Percentile(0.99);
        var swapP99 = swapping.Percentile(0.99);
        Console.WriteLine($"Rotation latency: {workers} workers, {cycles} x ({window.TotalMilliseconds:F0} ms steady + {window.TotalMilliseconds:F0} ms with one swap), {swaps} swaps that changed the certificate");
        Console.WriteLine("| phase | requests | failed | p50 | p99 | max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine(steady.Row("steady"));
        Console.WriteLine(swapping.Row("with a swap"));
        Console.WriteLine($"p99 with a swap / steady p99 = {swapP99 / steadyP99:F2} (target <= 2.00); failed requests: {swapping.Failed + steady.Failed} (target 0)");
        return swaps == cycles && swapping.Failed + steady.Failed == 0 ? 0 : 1;
    }

    private static async Task MeasureAsync(HttpClient client, Uri uri, int workers, TimeSpan window, Phase phase, Func<Task>? swap)
    {
        var end = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await Requests.SendAsync(client, uri, closeConnection: false).ConfigureAwait(false);
                    phase.Record(Stopwatch.GetElapsedTime(started));
                }
                catch (HttpRequestException)
                {
                    phase.Fail();
                }
            }
        })).ToList();
        if (swap is not null)
        {
            await Task.Delay(window / 2).ConfigureAwait(false);
            await swap().ConfigureAwait(false);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private sealed class Phase
    {
        private readonly List<double> _milliseconds = [];
        private int _failed;

        public int Failed => _failed;

        public void Record(TimeSpan elapsed)
        {
            lock (_milliseconds)
            {
                _milliseconds.Add(elapsed.TotalMilliseconds);
            }
        }

        public void Fail() => Interlocked.Increment(ref _failed);

        public double Percentile(double p)
        {
            lock (_milliseconds)
            {
                if (_milliseconds.Count == 0)
                {
                    return double.NaN;
                }

                var sorted = _milliseconds.Order().ToArray();
                return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
            }
        }

        public string Row(string name) =>
            $"| {name} | {_milliseconds.Count} | {_failed} | {Percentile(0.5):F3} ms | {Percentile(0.99):F3} ms | {Percentile(1):F3} ms |";
    }
}

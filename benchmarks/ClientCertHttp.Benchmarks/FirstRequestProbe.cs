using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// <c>--first-request-probe</c>: starts many hosts one after the other, like <see cref="FirstRequestBenchmarks"/>, and for
/// each records the first request's latency AND whether it opened a TCP connection (counted in the handler's
/// <see cref="SocketsHttpHandler.ConnectCallback"/>), so that a slow warm first request can be told apart from one that
/// did not find the warm connection. Prints the distribution per kind of start.
/// </summary>
internal static class FirstRequestProbe
{
    public static async Task<int> RunAsync(int hosts)
    {
        using var clients = Clients.Create();
        var uri = new Uri(clients.Server.BaseAddress, "whoami");
        var reference = new List<(double Ms, int Connects)>();
        var warm = new List<(double Ms, int Connects)>();
        for (var i = 0; i < hosts; i++)
        {
            reference.Add(await MeasureAsync(clients, uri, warmup: false).ConfigureAwait(false));
            warm.Add(await MeasureAsync(clients, uri, warmup: true).ConfigureAwait(false));
        }

        Print("request on an open connection (reference)", reference);
        Print("first request, Warmup:Connections=1", warm);
        Console.WriteLine(
            $"warm first request / request on an open connection: mean {warm.Average(s => s.Ms) / reference.Average(s => s.Ms):F2}, " +
            $"p50 {Median(warm) / Median(reference):F2} (target <= 1.20)");
        return 0;
    }

    private static async Task<(double Ms, int Connects)> MeasureAsync(Clients clients, Uri uri, bool warmup)
    {
        var connects = 0;
        using var host = clients.NewClientCertHttpHost(retry: true, clients.Server.BaseAddress, warmupConnections: warmup ? 1 : 0, more: services =>
            services.AddHttpClient("clientcerthttp").UseSocketsHttpHandler((handler, _) => handler.ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }));
        await host.StartAsync().ConfigureAwait(false);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("clientcerthttp");
        if (!warmup)
        {
            await Requests.SendAsync(client, uri, closeConnection: false).ConfigureAwait(false);
        }

        var before = Volatile.Read(ref connects);
        var started = Stopwatch.GetTimestamp();
        await Requests.SendAsync(client, uri, closeConnection: false).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var opened = Volatile.Read(ref connects) - before;
        await host.StopAsync().ConfigureAwait(false);
        return (elapsed, opened);
    }

    private static double Median(List<(double Ms, int Connects)> samples) => samples.Select(s => s.Ms).Order().ElementAt(samples.Count / 2);

    private static void Print(string name, List<(double Ms, int Connects)> samples)
    {
        var sorted = samples.Select(s => s.Ms).Order().ToArray();
        double P(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        var opened = samples.Count(s => s.Connects > 0);
        var reused = samples.Where(s => s.Connects == 0).Select(s => s.Ms).ToArray();
        Console.WriteLine(
            $"{name}: n={sorted.Length}, mean {sorted.Average():F3} ms, p50 {P(0.5):F3}, p90 {P(0.9):F3}, max {P(1):F3}; " +
            $"opened a connection: {opened}; mean of those that did not: {(reused.Length > 0 ? reused.Average() : double.NaN):F3} ms");
    }
}

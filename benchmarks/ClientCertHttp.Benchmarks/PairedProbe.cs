using System.Diagnostics;
using System.Globalization;
using System.Security.Authentication;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// <c>--paired [rounds]</c>: the keep-alive and full-handshake comparisons again, interleaved. BenchmarkDotNet measures
/// one benchmark after the other, so anything that drifts during a run (the server's garbage collections, the
/// loopback's wake-up latency, other load on the machine) lands on whichever benchmark runs at that moment; on two
/// cores shared with the server that makes a difference of a few per cent unresolvable. Here every round runs one
/// batch of every client, in a shuffled order, so each round compares the clients under the same conditions; the
/// ratio of each round is a paired sample, and the median of those ratios comes with a 95 % confidence interval.
/// Besides the wall time, each batch records the CPU time of this (client) process and the bytes it allocated: the
/// client's own cost, which the server's share of the two cores does not blur, and the server child's CPU time
/// (Linux), which shows what each client's handshakes cost the other side.
/// </summary>
internal static class PairedProbe
{
    private const string Baseline = "hand-written SocketsHttpHandler (Baseline)";
    private const string IdentityNoRetry = "ClientCertHttp per-identity client (IClientCertHttpClientFactory), Retry:Enabled=false";
    private const string IdentityRetry = "ClientCertHttp per-identity client (IClientCertHttpClientFactory), default retry";
    private const string InFactory = "hand-written handler in IHttpClientFactory";
    private const string NoRetry = "ClientCertHttp, Retry:Enabled=false";
    private const string FactoryRetry = "hand-written handler in IHttpClientFactory + the same retry pipeline (AddResilienceHandler)";

    public static async Task<int> RunAsync(int rounds, bool keepAliveOnly = false, int keepAliveBatch = 200, int handshakeBatch = 20)
    {
        Console.WriteLine($"# --paired: {rounds} rounds; each round runs every client once, in a shuffled order; {Environment.ProcessorCount} CPU(s) for the client process");
        using (var clients = Clients.Create())
        {
            var server = clients.Server;
            var uri = new Uri(clients.Server.BaseAddress, "whoami");
            foreach (var http in new[] { "1.1", "2.0" })
            {
                var version = Version.Parse(http);
                (string Name, HttpClient Client)[] compared =
                [
                    (Baseline, clients.HandWritten()),
                    (InFactory, clients.Factory()),
                    (NoRetry, clients.ClientCertHttp(retry: false)),
                    ("ClientCertHttp, Retry:Enabled=false, RemoveAllLoggers()", clients.ClientCertHttp(retry: false, removeFactoryLoggers: true)),
                    ("ClientCertHttp, default retry", clients.ClientCertHttp(retry: true)),
                    ("ClientCertHttp, default retry, RemoveAllLoggers()", clients.ClientCertHttp(retry: true, removeFactoryLoggers: true)),
                    (FactoryRetry, clients.FactoryWithRetry()),
                    (IdentityNoRetry, clients.ClientCertHttpIdentity(retry: false)),
                    (IdentityRetry, clients.ClientCertHttpIdentity(retry: true)),
                ];
                foreach (var (_, client) in compared)
                {
                    Check.Http(client, uri, version);
                }

                var samples = await MeasureAsync(server, compared, client => Requests.SendAsync(client, uri, closeConnection: false, version), keepAliveBatch, rounds).ConfigureAwait(false);
                // Besides the Baseline: against the same retry pipeline added directly, and against the hand-written
                // handler with the same IHttpClientFactory defaults (its logging handlers), which isolates the library.
                Print(
                    $"keep-alive, HTTP/{http}, {keepAliveBatch} requests per batch",
                    samples,
                    [
                        ("ClientCertHttp, default retry", FactoryRetry),
                        ("ClientCertHttp, default retry", InFactory),
                        (NoRetry, InFactory),

                        // Issue 15: a request through one identity of a per-identity client against the same request
                        // through a single-certificate client with the same options.
                        (IdentityNoRetry, NoRetry),
                        (IdentityRetry, "ClientCertHttp, default retry"),
                    ]);
            }
        }

        foreach (var key in keepAliveOnly ? [] : Enum.GetValues<ClientKey>())
        {
            foreach (var tls in new[] { "1.2", "1.3" })
            {
                await HandshakeAsync(key, tls, rounds, handshakeBatch).ConfigureAwait(false);
            }
        }

        return 0;
    }

    private static async Task HandshakeAsync(ClientKey key, string tls, int rounds, int handshakeBatch)
    {
        using var clients = Clients.Create(key);
        clients.TrustRootForNaiveClient();
        var target = new Uri(clients.Server.IntermediateTrustingAddress, "whoami");
#pragma warning disable CA5398 // The TLS version is the comparison's parameter.
        var protocols = tls == "1.2" ? SslProtocols.Tls12 : SslProtocols.Tls13;
#pragma warning restore CA5398
        (string Name, HttpClient Client)[] compared =
        [
            (Baseline, clients.HandWritten(protocols)),
            ("hand-written handler in IHttpClientFactory", clients.Factory(protocols)),
            (NoRetry, clients.ClientCertHttp(retry: false, protocols)),
            ("ClientCertHttp, Retry:Enabled=false, RemoveAllLoggers()", clients.ClientCertHttp(retry: false, protocols, removeFactoryLoggers: true)),
            ("ClientCertHttp, default retry", clients.ClientCertHttp(retry: true, protocols)),
            ("naive HttpClientHandler.ClientCertificates", clients.Naive(protocols)),
        ];
        foreach (var (_, client) in compared)
        {
            Check.Tls(client, target, tls);
            Check.Resumed(client, target, expected: false);
        }

        var samples = await MeasureAsync(clients.Server, compared, client => Requests.SendAsync(client, target, closeConnection: true), handshakeBatch, Math.Max(2, rounds / 3)).ConfigureAwait(false);
        Print($"full handshake, {key}, TLS {tls}, {handshakeBatch} new connections per batch", samples, [(NoRetry, "naive HttpClientHandler.ClientCertificates")]);
    }

    private static async Task<Samples[]> MeasureAsync(ServerProcess server, (string Name, HttpClient Client)[] compared, Func<HttpClient, Task<int>> send, int batch, int rounds)
    {
        var samples = compared.Select(c => new Samples(c.Name, rounds, batch)).ToArray();
        var order = Enumerable.Range(0, compared.Length).ToArray();
        var random = new Random(20261127);

        // Warm-up: JIT, connection pools, TLS session caches of every client.
        foreach (var (_, client) in compared)
        {
            for (var i = 0; i < batch; i++)
            {
                await send(client).ConfigureAwait(false);
            }
        }

        for (var round = 0; round < rounds; round++)
        {
            random.Shuffle(order);
            foreach (var index in order)
            {
                var client = compared[index].Client;
                var serverBefore = server.CpuTime;
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var cpuBefore = Environment.CpuUsage.TotalTime;
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < batch; i++)
                {
                    await send(client).ConfigureAwait(false);
                }

                var wall = Stopwatch.GetElapsedTime(started);
                var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                var serverCpu = server.CpuTime - serverBefore;
                samples[index].Add(round, wall, cpu, allocated, serverCpu);
            }
        }

        return samples;
    }

    private static void Print(string title, Samples[] samples, (string Faster, string Slower)[] extra)
    {
        var baseline = samples[0];
        Console.WriteLine();
        Console.WriteLine($"### {title}, {baseline.Rounds} rounds");
        Console.WriteLine();
        Console.WriteLine("| client | wall / op (median) | Baseline / client, wall (median of rounds, 95 % CI) | client CPU / op (median) | Baseline / client, CPU (95 % CI) | allocated / op (median) | server CPU / op (median) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in samples)
        {
            Console.WriteLine(
                $"| {s.Name} | {Us(Median(s.Wall))} | {Paired(baseline.Wall, s.Wall)} | {Us(Median(s.Cpu))} | {Paired(baseline.Cpu, s.Cpu)} | {Median(s.Allocated).ToString("N0", CultureInfo.InvariantCulture)} B | {(s.ServerCpu is { } serverCpu ? Us(Median(serverCpu)) : "n/a")} |");
        }

        foreach (var (faster, slower) in extra)
        {
            var f = samples.Single(s => s.Name == faster);
            var l = samples.Single(s => s.Name == slower);
            Console.WriteLine();
            Console.WriteLine($"{f.Name} / {l.Name} (throughput, = {l.Name} time / {f.Name} time): wall {Paired(l.Wall, f.Wall)}, client CPU {Paired(l.Cpu, f.Cpu)}");
        }
    }

    /// <summary>
    /// The median of the per-round ratios <paramref name="numerator"/> / <paramref name="denominator"/>, and the 95 %
    /// confidence interval of that median from order statistics (no assumption about the distribution).
    /// </summary>
    private static string Paired(double[] numerator, double[] denominator)
    {
        var ratios = numerator.Zip(denominator, (n, d) => n / d).Order().ToArray();
        var n = ratios.Length;
        var half = 0.98 * Math.Sqrt(n);
        var low = ratios[Math.Clamp((int)Math.Floor((n / 2.0) - half), 0, n - 1)];
        var high = ratios[Math.Clamp((int)Math.Ceiling((n / 2.0) + half), 0, n - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"{Median(ratios):F3} [{low:F3}, {high:F3}]");
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Us(double nanoseconds) => nanoseconds >= 1_000_000
        ? string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1_000_000:F3} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1_000:F2} µs");

    /// <summary>Per-operation wall time (ns), client CPU time (ns) and allocated bytes, one value per round.</summary>
    private sealed class Samples(string name, int rounds, int batch)
    {
        public string Name { get; } = name;

        public int Rounds { get; } = rounds;

        public double[] Wall { get; } = new double[rounds];

        public double[] Cpu { get; } = new double[rounds];

        public double[] Allocated { get; } = new double[rounds];

        public double[]? ServerCpu { get; private set; }

        public void Add(int round, TimeSpan wall, TimeSpan cpu, long allocated, TimeSpan? serverCpu)
        {
            if (serverCpu is { } server)
            {
                ServerCpu ??= new double[Wall.Length];
                ServerCpu[round] = server.Ticks * 100.0 / batch;
            }

            Wall[round] = wall.Ticks * 100.0 / batch;
            Cpu[round] = cpu.Ticks * 100.0 / batch;
            Allocated[round] = (double)allocated / batch;
        }
    }
}

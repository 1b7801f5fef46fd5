using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// <c>--allocation-profile [requests]</c>: which types a kept-alive request allocates, per client. The runtime's
/// <c>GCAllocationTick</c> event (one sample about every 100 KB allocated, naming the type of the object that crossed
/// the threshold) is read in process with an <see cref="EventListener"/>, while one client at a time sends requests
/// back to back. Sampled bytes per type, divided by the number of requests, estimate each type's share of a request;
/// the difference with the Baseline names what a client adds. The server runs in its own process, so none of its
/// allocations are sampled.
/// </summary>
internal static partial class AllocationProfile
{
    public static async Task<int> RunAsync(int requests)
    {
        using var sampler = new AllocationSampler();
        using var clients = Clients.Create();
        var uri = new Uri(clients.Server.BaseAddress, "whoami");
        (string Name, HttpClient Client)[] compared =
        [
            ("hand-written SocketsHttpHandler (Baseline)", clients.HandWritten()),
            ("hand-written handler in IHttpClientFactory", clients.Factory()),
            ("ClientCertHttp, Retry:Enabled=false", clients.ClientCertHttp(retry: false)),
            ("ClientCertHttp, Retry:Enabled=false, RemoveAllLoggers()", clients.ClientCertHttp(retry: false, removeFactoryLoggers: true)),
            ("ClientCertHttp, default retry", clients.ClientCertHttp(retry: true)),
            ("ClientCertHttp, default retry, RemoveAllLoggers()", clients.ClientCertHttp(retry: true, removeFactoryLoggers: true)),
            ("hand-written handler in IHttpClientFactory + the same retry pipeline (AddResilienceHandler)", clients.FactoryWithRetry()),
        ];

        Console.WriteLine($"# --allocation-profile: {requests} kept-alive HTTP/1.1 requests per client, GCAllocationTick samples (about one per 100 KB)");
        var profiles = new List<(string Name, Dictionary<string, double> BytesPerRequest)>();
        var random = new Random(20261127);
        foreach (var (name, client) in compared)
        {
            for (var i = 0; i < 1_000; i++)
            {
                await Requests.SendAsync(client, uri, closeConnection: false).ConfigureAwait(false);
            }

            sampler.Start();
            for (var i = 0; i < requests; i++)
            {
                // A request allocates the same objects in the same order every time, so a sample every 100 KB would
                // keep landing on the same few objects; a random-sized array between requests spreads the samples.
                // Its own samples are left out of the figures.
                GC.KeepAlive(new Jitter[random.Next(1, 64)]);
                await Requests.SendAsync(client, uri, closeConnection: false).ConfigureAwait(false);
            }

            var sampled = sampler.Stop();
            foreach (var jitter in sampled.Keys.Where(k => k.EndsWith(nameof(Jitter) + "[]", StringComparison.Ordinal)).ToList())
            {
                sampled.Remove(jitter);
            }

            profiles.Add((name, sampled.ToDictionary(p => p.Key, p => (double)p.Value / requests)));
        }

        var baseline = profiles[0].BytesPerRequest;
        foreach (var (name, bytes) in profiles)
        {
            Console.WriteLine();
            Console.WriteLine($"### {name}: {bytes.Values.Sum():N0} B per request (sampled)");
            Console.WriteLine();
            Console.WriteLine("| type | B per request | vs Baseline |");
            Console.WriteLine("| --- | ---: | ---: |");
            var rows = bytes.Keys.Union(baseline.Keys)
                .Select(type => (Type: type, Bytes: bytes.GetValueOrDefault(type), Delta: bytes.GetValueOrDefault(type) - baseline.GetValueOrDefault(type)))
                .OrderByDescending(r => ReferenceEquals(bytes, baseline) ? r.Bytes : Math.Abs(r.Delta))
                .Take(12);
            foreach (var (type, perRequest, delta) in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {Code(type)} | {perRequest:N0} | {delta:+#,0;-#,0;0} |"));
            }
        }

        return 0;
    }

    /// <summary>A Markdown code span; a name with a backtick (a generic arity) needs double backticks.</summary>
    private static string Code(string text) => text.Contains('`', StringComparison.Ordinal) ? $"`` {text} ``" : $"`{text}`";

    /// <summary>
    /// Names an async state machine box by the method it runs (<c>async frame: LoggingHttpMessageHandler.SendCoreAsync</c>)
    /// instead of its full generic type name; other types keep their name.
    /// </summary>
    private static string Shorten(string type)
    {
        const string Box = "AsyncStateMachineBox`1[";
        if (!type.StartsWith(Box, StringComparison.Ordinal))
        {
            return type;
        }

        // The box's second type argument is the state machine: Owner+<Method>d__N or Owner+<<Method>g__Local|N_M>d.
        var depth = 0;
        var start = -1;
        for (var i = Box.Length; i < type.Length && start < 0; i++)
        {
            depth += type[i] switch { '[' => 1, ']' => -1, _ => 0 };
            if (type[i] == ',' && depth == 0)
            {
                start = i + 1;
            }
        }

        var match = start < 0 ? null : StateMachine().Match(type, start);
        return match is { Success: true } ? $"async frame: {match.Groups["owner"].Value}.{match.Groups["method"].Value}" : type;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\G(?:[\w`]+\.)*(?<owner>[\w`]+(?:\+<>c)?)\+<+(?<method>\w+)>")]
    private static partial System.Text.RegularExpressions.Regex StateMachine();

    /// <summary>The element of the random-sized arrays that break the periodicity of the samples.</summary>
    private readonly record struct Jitter(long Value);

    /// <summary>Sums the sampled allocation amounts per type name while recording.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private const int AllocationTickEventId = 10;
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private ConcurrentDictionary<string, long> _bytes = new();
        private volatile bool _recording;

        public void Start()
        {
            _bytes = new ConcurrentDictionary<string, long>();
            _recording = true;
        }

        public Dictionary<string, long> Stop()
        {
            _recording = false;

            // Events are dispatched asynchronously: let the last ones in.
            Thread.Sleep(500);
            return new Dictionary<string, long>(_bytes);
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (!_recording || eventData.EventId != AllocationTickEventId || eventData.PayloadNames is not { } names || eventData.Payload is not { } payload)
            {
                return;
            }

            var typeIndex = names.IndexOf("TypeName");
            var amountIndex = names.IndexOf("AllocationAmount64");
            if (typeIndex < 0 || amountIndex < 0)
            {
                return;
            }

            var type = Shorten(payload[typeIndex] as string ?? "?");
            var amount = Convert.ToInt64(payload[amountIndex], CultureInfo.InvariantCulture);
            _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
        }
    }
}

using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ClientCertHttp.Benchmarks;

// --dry-run: every benchmark once, in process, untimed (CI runs this so the suites cannot rot); a failed benchmark
// fails the run. --rotation-latency: the per-request latency harness. --first-request-probe [hosts]: first-request
// latency of many fresh hosts, and whether each opened a connection. --paired [rounds]: the keep-alive and
// full-handshake comparisons interleaved round by round, with paired ratios and client and server CPU time.
// (--paired [rounds] --keep-alive: the keep-alive comparisons only.)
// --allocation-profile [requests]: the types a kept-alive request allocates, per client (GCAllocationTick samples).
// --identity-scale [identities]: the per-identity client with thousands of identities (memory, first request, churn).
// Anything else goes to BenchmarkDotNet.
if (args is [ServerProcess.ServeSwitch, var folder])
{
    return await ServerProcess.ServeAsync(folder);
}

// Before anything touches a certificate store: the naive client and the store suite use an isolated user store.
ClientCertHttp.TestUtilities.IsolatedUserStore.Initialize();

var dryRun = args.Contains("--dry-run");
var rest = args.Where(a => a is not "--dry-run" and not "--rotation-latency").ToArray();

if (args is ["--first-request-probe", ..])
{
    return await FirstRequestProbe.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100);
}

if (args is ["--allocation-profile", ..])
{
    return await AllocationProfile.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
}

if (args is ["--identity-scale", ..])
{
    return await IdentityScale.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000);
}

if (args is ["--paired", ..])
{
    var pairedRounds = args.Length > 1 && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : 150;
    return await PairedProbe.RunAsync(pairedRounds, keepAliveOnly: args.Contains("--keep-alive"));
}

if (args.Contains("--rotation-latency"))
{
    return await RotationLatency.RunAsync(TimeSpan.FromSeconds(1), cycles: 5, workers: 4);
}

IConfig config = DefaultConfig.Instance;
if (dryRun)
{
    config = DefaultConfig.Instance
        .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
        .WithOptions(ConfigOptions.DisableLogFile);
    if (!rest.Contains("--filter"))
    {
        rest = [.. rest, "--filter", "*"];
    }
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config).ToList();
var failed = summaries.Sum(s => s.Reports.Count(r => !r.Success) + (s.HasCriticalValidationErrors ? 1 : 0) + (s.BenchmarksCases.Length - s.Reports.Length));
if (failed > 0 || summaries.Count == 0)
{
    Console.Error.WriteLine($"{failed} benchmark(s) failed or did not run.");
    return 1;
}

if (dryRun)
{
    var rotation = await RotationLatency.RunAsync(TimeSpan.FromMilliseconds(200), cycles: 1, workers: 2);
    if (rotation != 0)
    {
        return rotation;
    }

    var firstRequest = await FirstRequestProbe.RunAsync(hosts: 2);
    if (firstRequest != 0)
    {
        return firstRequest;
    }

    var paired = await PairedProbe.RunAsync(rounds: 2, keepAliveBatch: 2, handshakeBatch: 2);
    return paired != 0 ? paired : await AllocationProfile.RunAsync(requests: 20);
}

return 0;

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Identities;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// <c>--identity-scale [identities]</c>: the per-identity client at scale, against an in-process Kestrel server that
/// requires client certificates. Measures the memory of loaded identities (idle: certificate, context, handler, no
/// connection), the first request of a new identity (provider load + full handshake) beside a single-certificate
/// request on a new connection, kept-alive requests through an identity beside the single-certificate client
/// (interleaved rounds, paired ratio), and round-robin churn over 1,000 identities with MaxIdentities = 100.
/// The server runs in this process, so allocation figures are reported as the DIFFERENCE between two clients
/// that hit the same server (the server's share cancels out).
/// </summary>
internal static class IdentityScale
{
    private const string Tenants = "tenants";
    private const string Churn = "churn";
    private const string Single = "single";

    public static async Task<int> RunAsync(int identities)
    {
        var extra = 1200;
        Console.WriteLine($"# --identity-scale: {identities} identities, {Environment.ProcessorCount} CPU(s), server in process");
        using var ca = TestCertificateAuthority.Create("Identity scale");
        using var temp = new TempDirectory();
        await using var server = await MtlsTestServer.StartAsync(ca);
        var rootPath = ca.WriteRootPem(temp.Combine("root.pem"));

        var issue = Stopwatch.StartNew();
        var pfx = new byte[identities + extra][];
        for (var i = 0; i < pfx.Length; i++)
        {
            using var leaf = ca.IssueClientCertificate($"CN=tenant-{i}");
            pfx[i] = ca.ExportPfx(leaf, password: null);
        }

        ca.WritePfx(temp.Combine("single.pfx"), X509CertificateLoader.LoadPkcs12(pfx[^1], null), Clients.Password);
        Console.WriteLine($"minted {pfx.Length} client certificates in {issue.Elapsed.TotalSeconds:F1} s (not measured)");

        var provider = new PfxProvider(pfx);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        void Trust(ClientCertHttpOptions o)
        {
            o.BaseAddress = server.BaseAddress;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = rootPath;
        }

        builder.Services.AddClientCertHttpClient(Tenants, o =>
        {
            Trust(o);
            o.Identities.MaxIdentities = identities + extra;
            o.Identities.IdleTimeout = Timeout.InfiniteTimeSpan;
        }).AddClientCertificateIdentityProvider(provider);
        builder.Services.AddClientCertHttpClient(Churn, o =>
        {
            Trust(o);
            o.Identities.MaxIdentities = 100;
            o.Reload.DrainTimeout = TimeSpan.Zero;
        }).AddClientCertificateIdentityProvider(provider);
        builder.Services.AddClientCertHttpClient(Single, o =>
        {
            Trust(o);
            o.Certificate.Path = temp.Combine("single.pfx");
            o.Certificate.Password = Clients.Password;
        });
        using var host = builder.Build();
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();
        using var tenants = factory.CreateClient(Tenants);
        using var churn = factory.CreateClient(Churn);
        using var single = factory.CreateClient(Single);
        var pool = host.Services.GetRequiredKeyedService<ClientCertificateIdentityPool>(Tenants);
        var uri = new Uri(server.BaseAddress, "whoami");

        // 1. Memory of idle identities: loaded (certificate, context, source, handler), no connection yet.
        await SendAsync(tenants, uri, "tenant-0", close: false);
        var before = Settle();
        var load = Stopwatch.StartNew();
        for (var i = 1; i < identities; i++)
        {
            await pool.GetAsync($"tenant-{i}", CancellationToken.None);
        }

        load.Stop();
        var after = Settle();
        Console.WriteLine($"idle identities: {identities - 1} loaded in {load.Elapsed.TotalSeconds:F1} s ({load.Elapsed.TotalMilliseconds / (identities - 1):F2} ms each, sequential); managed heap +{(after - before) / (identities - 1.0) / 1024:F1} KiB per identity");

        // 1b. The same identities with one kept-alive connection each (full handshake done, connection idle in the
        // identity's pool). The server is in this process: its side of each connection is counted too, so the figure
        // is an upper bound for the client's. At most 2,000, so every connection is still open when it is measured.
        var connected = Math.Min(identities - 1, 2000);
        var connectedBefore = Settle();
        for (var i = 1; i <= connected; i++)
        {
            await SendAsync(tenants, uri, $"tenant-{i}", close: false);
        }

        var connectedAfter = Settle();
        Console.WriteLine($"kept-alive connections: {connected} identities with one open connection each: managed heap +{(connectedAfter - connectedBefore) / (double)connected / 1024:F1} KiB per connection (client and in-process server together; an upper bound for the client), {server.TotalConnectionCount} connections accepted by the server");

        // 2. First request of a new identity (load + full handshake) beside a single-certificate request on a new connection.
        server.ClearReports();
        var firstIdentity = new List<double>();
        var newConnection = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await SendAsync(tenants, uri, $"tenant-{identities + i}", close: false);
            firstIdentity.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            started = Stopwatch.GetTimestamp();
            await SendAsync(single, uri, identity: null, close: true);
            newConnection.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        Console.WriteLine($"first request: new identity (provider load + full handshake) median {Median(firstIdentity):F2} ms, p90 {Percentile(firstIdentity, 0.9):F2} ms; single-certificate client on a new connection median {Median(newConnection):F2} ms, p90 {Percentile(newConnection, 0.9):F2} ms");

        // 3. Kept-alive requests: one identity of the 10k-identity client vs the single-certificate client, interleaved.
        var ratios = new List<double>();
        long identityBytes = 0, singleBytes = 0, requests = 0;
        for (var round = 0; round < 20; round++)
        {
            server.ClearReports();
            var (identityTime, identityAllocated) = await BatchAsync(tenants, uri, "tenant-0", 1000);
            var (singleTime, singleAllocated) = await BatchAsync(single, uri, identity: null, 1000);
            ratios.Add(singleTime / identityTime);
            identityBytes += identityAllocated;
            singleBytes += singleAllocated;
            requests += 1000;
        }

        ratios.Sort();
        Console.WriteLine($"kept-alive: identity throughput / single-certificate throughput = {Median(ratios):F3} (median of 20 paired rounds of 1000 requests; range {ratios[0]:F3}–{ratios[^1]:F3}); allocated per request, identity minus single: {(identityBytes - singleBytes) / (double)requests:F0} B (the identity request also sets its HttpRequestOptions entry)");

        // 4. Churn: 1,000 identities round-robin through a client that keeps 100.
        var churnTimer = Stopwatch.StartNew();
        var churnRequests = 3000;
        for (var i = 0; i < churnRequests; i++)
        {
            if (i % 500 == 0)
            {
                server.ClearReports();
            }

            await SendAsync(churn, uri, $"tenant-{i % 1000}", close: false);
        }

        churnTimer.Stop();
        var churnPool = host.Services.GetRequiredKeyedService<ClientCertificateIdentityPool>(Churn);
        Console.WriteLine($"churn: {churnRequests} requests over 1000 identities round-robin, MaxIdentities=100: {churnRequests / churnTimer.Elapsed.TotalSeconds:F0} requests/s sequential ({churnTimer.Elapsed.TotalMilliseconds / churnRequests:F2} ms each: every request loads and handshakes), {churnPool.Count} loaded at the end, {provider.Calls} provider calls in all");
        await host.StopAsync();
        return 0;
    }

    private static async Task<(double Seconds, long Allocated)> BatchAsync(HttpClient client, Uri uri, string? identity, int count)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await SendAsync(client, uri, identity, close: false);
        }

        return (Stopwatch.GetElapsedTime(started).TotalSeconds, GC.GetTotalAllocatedBytes(precise: true) - allocated);
    }

    private static async Task SendAsync(HttpClient client, Uri uri, string? identity, bool close)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (identity is not null)
        {
            request.SetClientCertificateIdentity(identity);
        }

        request.Headers.ConnectionClose = close;
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
    }

    private static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }

    /// <summary>A vault stand-in: each identity tenant-N is a PFX in memory, loaded on every call.</summary>
    private sealed class PfxProvider(byte[][] pfx) : IClientCertificateIdentityProvider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(string identity, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            var index = int.Parse(identity.AsSpan("tenant-".Length), CultureInfo.InvariantCulture);
            return ValueTask.FromResult<ClientCertificateBundle?>(new ClientCertificateBundle(X509CertificateLoader.LoadPkcs12Collection(pfx[index], null)));
        }
    }
}

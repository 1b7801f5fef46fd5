using System.Diagnostics.Metrics;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClientCertHttp.Tests.Issues;

/// <summary>
/// Regression tests for the defects of the engine before its redesign (issue 13), through a real service provider,
/// real files and real handlers. Each one failed on the previous engine.
/// </summary>
public sealed class EngineRedesignTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Client = "engine";
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public async Task OptionsSnapshotAndOptionsFactory_ResolvedAfterStartup_CauseNoReload()
    {
        var path = fixture.WriteClientPfx();
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient(Client, o =>
            {
                o.Certificate.Path = path;
                o.Certificate.Password = Password;
                o.Reload.Enabled = false;
            });
        });
        await host.StartAsync();
        using var reloads = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.Reloads);

        for (var i = 0; i < 3; i++)
        {
            using var scope = host.Services.CreateScope();
            scope.ServiceProvider.GetRequiredService<IOptionsSnapshot<ClientCertHttpOptions>>().Get(Client).Certificate.Path.Should().Be(path);
        }

        host.Services.GetRequiredService<IOptionsFactory<ClientCertHttpOptions>>().Create(Client).Certificate.Path.Should().Be(path);
        using (host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client))
        {
        }

        reloads.GetMeasurementSnapshot().Should().BeEmpty("a new options instance is not a new configuration");
        host.Services.GetFakeLogCollector().GetSnapshot().Count(r => r.Id.Name == "ClientCertificateLoaded")
            .Should().Be(1, "the certificate is loaded once, at startup");
        await host.StopAsync();
    }

    [Fact]
    public async Task ConfigurationReload_DoesNotWaitForTheLoad_OnTheThreadThatRaisedTheChange()
    {
        var provider = new GatedProvider(fixture.Ca);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Clients:engine:BaseAddress"] = "https://127.0.0.1:4443/",
            ["Clients:engine:Certificate:ProviderTimeout"] = "00:00:30",
        }).Build();
        using var host = ClientCertFixture.BuildHost(services => services
            .AddClientCertHttpClient(Client, configuration.GetSection("Clients:engine"))
            .AddCertificateProvider(provider));
        await host.StartAsync();
        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();
        var first = diagnostics.GetReadinessReport(Client).Certificate.Thumbprint;

        // From now on the provider answers only when the test lets it. IOptionsMonitor.Get runs inside Reload (the
        // options monitor recomputes the options when the change token fires): a load in there would block it.
        provider.Hold();
        configuration["Clients:engine:BaseAddress"] = "https://127.0.0.1:4444/";
        var raising = Task.Factory.StartNew(((IConfigurationRoot)configuration).Reload, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var returnedWhileTheLoadWaits = await Task.WhenAny(raising, Task.Delay(TimeSpan.FromSeconds(5))) == raising;
        provider.Release();
        await raising;

        returnedWhileTheLoadWaits.Should().BeTrue("the change-token thread only schedules the reload; the load runs on the thread pool");
        for (var i = 0; i < 100 && diagnostics.GetReadinessReport(Client).Certificate.Thumbprint == first; i++)
        {
            await Task.Delay(50);
        }

        diagnostics.GetReadinessReport(Client).Certificate.Thumbprint.Should().NotBe(first, "the configuration change is applied once the provider answers");
        provider.Calls.Should().Be(2, "the change is loaded once");
        await host.StopAsync();
    }

    [Fact]
    public async Task ProviderWhoseChangeTokenThrowsAtStartup_StartsWithItsCertificateAndLogsTheBrokenWatch()
    {
        // The previous engine cached the client's entry, then started watching: the provider's exception escaped
        // from startup, untyped, and left a half-started entry behind.
        var provider = new GatedProvider(fixture.Ca) { ChangeTokenThrows = true };
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient(Client, _ => { }).AddCertificateProvider(provider);
        });

        await host.StartAsync();

        host.Services.GetRequiredService<IClientCertificateDiagnostics>().GetReadinessReport(Client).Certificate.Subject.Should().Be("CN=gated-1");
        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Name == "CertificateProviderWatchFailed")
            .Which.Message.Should().Contain("System.InvalidOperationException");
        await host.StopAsync();
    }

    [Fact]
    public async Task NotYetValidReplacement_IsRetriedAndAppliedOnceValid()
    {
        var now = DateTimeOffset.UtcNow;
        var time = new FakeTimeProvider(now);
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        using var current = fixture.Ca.IssueClientCertificate("CN=valid-now");
        fixture.Ca.WritePfx(path, current, Password);
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddClientCertHttpClient(Client, o =>
            {
                o.Certificate.Path = path;
                o.Certificate.Password = Password;
            });
        });
        await host.StartAsync();
        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();

        // Renewed early, as a clock a little behind the CA's would see it: valid only in ten minutes.
        using var early = fixture.Ca.IssueClientCertificate("CN=valid-soon", o =>
        {
            o.NotBefore = now.AddMinutes(10);
            o.NotAfter = now.AddDays(90);
        });
        var staging = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".tmp");
        fixture.Ca.WritePfx(staging, early, Password);
        File.Move(staging, path, overwrite: true);
        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));

        diagnostics.GetReadinessReport(Client).Certificate.Thumbprint.Should().Be(current.Thumbprint, "the replacement is not valid yet");

        time.Advance(TimeSpan.FromMinutes(15));

        diagnostics.GetReadinessReport(Client).Certificate.Thumbprint.Should().Be(early.Thumbprint, "the failed reload was tried again once the replacement became valid");
        await host.StopAsync();
    }

    [Fact]
    public async Task ZeroDrainTimeout_ReplacedCertificate_IsNotDisposedWhileAHandlerStillCarriesIt()
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        using var first = fixture.Ca.IssueClientCertificate("CN=drain-first");
        fixture.Ca.WritePfx(path, first, Password);
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca);
        var rootPath = fixture.Ca.WriteRootPem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pem"));
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddClientCertHttpClient(Client, o =>
            {
                o.BaseAddress = server.BaseAddress;
                o.Certificate.Path = path;
                o.Certificate.Password = Password;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = rootPath;
                o.Reload.Enabled = false;
                o.Reload.DrainTimeout = TimeSpan.Zero;
            }).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        });
        await host.StartAsync();
        var handler = ClientCertFixture.PrimaryHandler(host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(Client));
        var carried = handler.SslOptions.ClientCertificateContext!.TargetCertificate;

        using var second = fixture.Ca.IssueClientCertificate("CN=drain-second");
        fixture.Ca.WritePfx(path, second, Password);
        (await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync(Client)).Changed.Should().BeTrue();

        // Not a timing assertion: the previous engine disposed the replaced certificate on a zero-delay timer of its
        // own; this gives such a timer ample time to run. Nothing in the new engine waits for time here.
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        carried.Handle.Should().NotBe(IntPtr.Zero, "the handler that carries the first certificate has not moved to the second one yet");

        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
        (await MtlsTestServer.ReadReportAsync(response)).Thumbprint.Should().Be(second.Thumbprint);
        carried.Handle.Should().Be(IntPtr.Zero, "once no handler carries it, the replaced certificate is disposed (zero drain)");
        await host.StopAsync();
    }

    /// <summary>A real provider whose answers the test can hold back; each answer is a newly issued certificate.</summary>
    private sealed class GatedProvider(TestCertificateAuthority ca) : ClientCertHttp.Certificates.ICertificateProvider
    {
        private TaskCompletionSource _gate = CompletedGate();
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Hold() => Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Release() => Volatile.Read(ref _gate).TrySetResult();

        public async ValueTask<ClientCertHttp.Certificates.ClientCertificateBundle?> GetCertificateAsync(ClientCertHttp.Certificates.CertificateProviderContext context, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            await Volatile.Read(ref _gate).Task.WaitAsync(cancellationToken);
            using var leaf = ca.IssueClientCertificate($"CN=gated-{call}");
            var pfx = ca.ExportPfx(leaf, Password);
            return new(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12Collection(pfx, Password));
        }

        public bool ChangeTokenThrows { get; init; }

        public Microsoft.Extensions.Primitives.IChangeToken GetChangeToken(ClientCertHttp.Certificates.CertificateProviderContext context) =>
            ChangeTokenThrows
                ? throw new InvalidOperationException("The vault's change feed is unreachable.")
                : new Microsoft.Extensions.Primitives.CancellationChangeToken(CancellationToken.None);

        private static TaskCompletionSource CompletedGate()
        {
            var gate = new TaskCompletionSource();
            gate.SetResult();
            return gate;
        }
    }
}

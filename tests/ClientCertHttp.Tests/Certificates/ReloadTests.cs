using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>
/// Reloads that fail keep the last good certificate and are logged, counted and reported; a file being written is
/// never loaded; the health check and expiry warnings follow the certificate's dates.
/// </summary>
public sealed class ReloadTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;
    private const string Client = "payments";

    public static TheoryData<string> BadReplacements => ["truncated", "wrong-password", "expired"];

    [Theory]
    [MemberData(nameof(BadReplacements))]
    public async Task ReloadAsync_BadReplacementFile_KeepsTheLastGoodCertificateAndReportsIt(string kind)
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        var good = WritePfx(path, "CN=good");
        using var host = BuildHost(path, timeProvider: null);
        await host.StartAsync();
        using var reloads = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.Reloads);

        WriteBadReplacement(path, kind);
        var result = await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync(Client);

        result.Succeeded.Should().BeFalse();
        result.Changed.Should().BeFalse();
        result.CurrentThumbprint.Should().Be(good);
        result.Error.Should().Contain(path).And.NotContain(Password);
        CurrentThumbprint(host).Should().Be(good);

        var failure = host.Services.GetFakeLogCollector().GetSnapshot().Should()
            .ContainSingle(r => r.Id.Name == "ClientCertificateReloadFailed").Subject;
        failure.Level.Should().Be(LogLevel.Error);
        failure.Message.Should().Contain(good).And.Contain(path).And.NotContain(Password);

        reloads.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should()
            .Contain(ClientCertHttpMetrics.ResultTag, "failure").And.Contain(ClientCertHttpMetrics.ClientNameTag, Client);

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        health.Status.Should().Be(HealthStatus.Degraded, "the previous certificate is still valid and in use");
        health.Entries["client-certificates"].Description.Should().Contain("last reload failed");
        await host.StopAsync();
    }

    [Fact]
    public async Task Poll_FileStillBeingWritten_IsNotLoadedUntilItsContentIsStable()
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        var good = WritePfx(path, "CN=before");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = BuildHost(path, time);
        await host.StartAsync();
        var entry = Entry(host);
        using var leaf = fixture.Ca.IssueClientCertificate("CN=after");
        var complete = fixture.Ca.ExportPfx(leaf, Password);

        // First half written: seen once, never loaded.
        await File.WriteAllBytesAsync(path, complete.AsSpan(0, complete.Length / 2).ToArray());
        entry.Poll();
        CurrentThumbprint(host).Should().Be(good);

        // The rest arrives: the content changed again, so it waits for one more poll.
        await File.WriteAllBytesAsync(path, complete);
        entry.Poll();
        CurrentThumbprint(host).Should().Be(good);

        entry.Poll();

        CurrentThumbprint(host).Should().Be(leaf.Thumbprint);
        entry.LastReload.Succeeded.Should().BeTrue();
        host.Services.GetFakeLogCollector().GetSnapshot().Should().NotContain(r => r.Id.Name == "ClientCertificateReloadFailed");
        await host.StopAsync();
    }

    [Fact]
    public async Task HealthCheck_AtEachBoundary_ReportsHealthyDegradedThenUnhealthy()
    {
        var now = DateTimeOffset.UtcNow;
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        using var leaf = WritePfxValidUntil(path, "CN=expiring", now.AddDays(40), now);
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        var time = new FakeTimeProvider(now);
        using var host = BuildHost(path, time);
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        (await health.CheckHealthAsync()).Status.Should().Be(HealthStatus.Healthy);

        time.SetUtcNow(notAfter.AddDays(-30).AddSeconds(-1));
        (await health.CheckHealthAsync()).Status.Should().Be(HealthStatus.Healthy, "one second before the 30-day window");

        time.SetUtcNow(notAfter.AddDays(-30));
        var degraded = await health.CheckHealthAsync();
        degraded.Status.Should().Be(HealthStatus.Degraded, "inside the 30-day window");
        var data = degraded.Entries["client-certificates"].Data[Client].Should().BeAssignableTo<IReadOnlyDictionary<string, object>>().Subject;
        data["thumbprint"].Should().Be(leaf.Thumbprint);
        data["subject"].Should().Be("CN=expiring");
        data["notAfter"].Should().Be(notAfter);
        degraded.Entries["client-certificates"].Data.Values.Should().NotContain(v => v.ToString()!.Contains(Password, StringComparison.Ordinal));

        time.SetUtcNow(notAfter.AddSeconds(-1));
        (await health.CheckHealthAsync()).Status.Should().Be(HealthStatus.Degraded, "one second before expiry");

        time.SetUtcNow(notAfter);
        (await health.CheckHealthAsync()).Status.Should().Be(HealthStatus.Unhealthy, "expired");
        await host.StopAsync();
    }

    [Fact]
    public async Task ExpiryMonitoring_InsideTheWindow_WarnsDailyThenErrorsOnceExpired()
    {
        var now = DateTimeOffset.UtcNow;
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        using var leaf = WritePfxValidUntil(path, "CN=monitored", now.AddDays(3), now);
        var time = new FakeTimeProvider(now);
        using var host = BuildHost(path, time);
        await host.StartAsync();
        var logs = host.Services.GetFakeLogCollector();
        int Count(string name) => logs.GetSnapshot().Count(r => r.Id.Name == name);

        Count("ClientCertificateExpiringSoon").Should().Be(1, "the certificate is inside the 30-day window at startup");

        time.Advance(TimeSpan.FromHours(12));
        Count("ClientCertificateExpiringSoon").Should().Be(1, "warnings repeat daily, not on every poll");

        time.Advance(TimeSpan.FromHours(12));
        Count("ClientCertificateExpiringSoon").Should().Be(2);

        time.Advance(TimeSpan.FromDays(2));
        Count("ClientCertificateExpired").Should().Be(1);
        logs.GetSnapshot().Single(r => r.Id.Name == "ClientCertificateExpired").Level.Should().Be(LogLevel.Error);
        await host.StopAsync();
    }

    [Fact]
    public async Task Metrics_ReportTimeToExpiryAndSelections()
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        using var leaf = fixture.Ca.IssueClientCertificate("CN=metered");
        fixture.Ca.WritePfx(path, leaf, Password);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddClientCertHttpClient(Client, o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = Password;
        });
        await using var provider = services.BuildServiceProvider();
        var meterFactory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var gauge = new MetricCollector<double>(meterFactory, ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.TimeToExpiry);
        using var selections = new MetricCollector<long>(meterFactory, ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.Selections);

        provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        gauge.RecordObservableInstruments();

        var expected = (leaf.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime).TotalSeconds;
        gauge.LastMeasurement!.Value.Should().BeApproximately(expected, 1);
        gauge.LastMeasurement.Tags.Should().Contain(ClientCertHttpMetrics.ClientNameTag, Client);
        selections.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should().Contain(ClientCertHttpMetrics.TriggerTag, "startup");
    }

    [Theory]
    [InlineData(50, 120_000)]
    [InlineData(1_000, -1)]
    public async Task Reload_OutOfRangeSettings_FailAtStartup(int pollMilliseconds, int drainMilliseconds)
    {
        var path = fixture.WriteClientPfx();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = Password;
            o.Reload.PollInterval = TimeSpan.FromMilliseconds(pollMilliseconds);
            o.Reload.DrainTimeout = TimeSpan.FromMilliseconds(drainMilliseconds);
        }));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain(pollMilliseconds < 100 ? "Reload:PollInterval" : "Reload:DrainTimeout");
    }

    [Fact]
    public async Task ReloadAsync_UnknownClient_Throws()
    {
        var path = fixture.WriteClientPfx();
        using var host = BuildHost(path, timeProvider: null);
        await host.StartAsync();

        var act = () => host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync("other");

        await act.Should().ThrowAsync<ArgumentException>().WithParameterName("clientName");
        await host.StopAsync();
    }

    [Fact]
    public async Task ConfigurationReload_NewPath_SwitchesCertificate_AndABrokenReloadKeepsTheLastGood()
    {
        var firstPath = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        var secondPath = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        var first = WritePfx(firstPath, "CN=config-1");
        var second = WritePfx(secondPath, "CN=config-2");
        var json = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(json, Json(firstPath));
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddJsonFile(json, optional: false, reloadOnChange: true).Build();
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddHealthChecks().AddClientCertificateHealthCheck();
            services.AddClientCertHttpClient(Client, configuration.GetSection("Clients:payments"));
        });
        await host.StartAsync();
        CurrentThumbprint(host).Should().Be(first);

        await File.WriteAllTextAsync(json, Json(secondPath));
        (await WaitUntilAsync(() => CurrentThumbprint(host) == second)).Should().BeTrue("the configuration change points at another file");
        Entry(host).LastReload.Succeeded.Should().BeTrue();

        await File.WriteAllTextAsync(json, Json(fixture.Temp.Combine("missing.pfx")));
        (await WaitUntilAsync(() => !Entry(host).LastReload.Succeeded)).Should().BeTrue("the broken configuration is seen");

        CurrentThumbprint(host).Should().Be(second, "a broken configuration reload keeps the last good certificate");
        Entry(host).LastReload.Error.Should().Contain("missing.pfx");
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Status.Should().Be(HealthStatus.Degraded);
        FluentActions.Invoking(() => host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client).Dispose())
            .Should().NotThrow("requests keep working with the last good certificate");
        await host.StopAsync();

        static string Json(string pfx) => $$"""
            { "Clients": { "payments": { "Certificate": { "Path": {{System.Text.Json.JsonSerializer.Serialize(pfx)}}, "Password": "{{Password}}" } } } }
            """;
    }

    [Fact]
    public async Task ProviderChangeToken_Fired_ReloadsFromTheProvider()
    {
        var provider = new RotatingProvider(fixture.Ca);
        using var host = ClientCertFixture.BuildHost(services => services
            .AddHttpClient(Client)
            .AddClientCertificate(_ => { })
            .AddCertificateProvider(provider));
        await host.StartAsync();
        var first = CurrentThumbprint(host);
        first.Should().Be(provider.CurrentThumbprint);

        provider.Rotate();

        (await WaitUntilAsync(() => CurrentThumbprint(host) == provider.CurrentThumbprint)).Should().BeTrue("the provider signalled a change");
        CurrentThumbprint(host).Should().NotBe(first);
        Entry(host).LastReload.Changed.Should().BeTrue();
        await host.StopAsync();
    }

    [Fact]
    public async Task StoreSource_RenewedCertificateAdded_IsPickedUpAtTheNextStoreRefresh()
    {
        var tag = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        using var current = fixture.Ca.IssueClientCertificate($"CN=store-rotation-{tag}", o => o.NotAfter = now.AddDays(20));
        using var renewed = fixture.Ca.IssueClientCertificate($"CN=store-rotation-{tag}", o => o.NotAfter = now.AddDays(90));
        using var first = IsolatedUserStore.Add("My", current);
        var time = new FakeTimeProvider(now);
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddClientCertHttpClient(Client, o => o.Certificate.Subject = $"store-rotation-{tag}");
        });
        await host.StartAsync();
        CurrentThumbprint(host).Should().Be(current.Thumbprint);
        using var second = IsolatedUserStore.Add("My", renewed);

        time.Advance(ClientCertificateSource.StoreRefreshInterval - TimeSpan.FromSeconds(2));
        CurrentThumbprint(host).Should().Be(current.Thumbprint, "stores are queried again once a minute, not on every poll");

        time.Advance(TimeSpan.FromSeconds(3));

        CurrentThumbprint(host).Should().Be(renewed.Thumbprint, "the valid certificate that expires last is chosen again");
        Entry(host).LastReload.Changed.Should().BeTrue();
        await host.StopAsync();
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        // Bounded: file-change notifications usually arrive within a second; give them up to 15 s.
        for (var i = 0; i < 150; i++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return condition();
    }

    private static IHost BuildHost(string path, FakeTimeProvider? timeProvider) => ClientCertFixture.BuildHost(services =>
    {
        if (timeProvider is not null)
        {
            services.AddSingleton<TimeProvider>(timeProvider);
        }

        services.AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Debug));
        services.AddHealthChecks().AddClientCertificateHealthCheck();
        services.AddClientCertHttpClient(Client, o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = Password;
            o.Reload.Enabled = timeProvider is not null;
        });
    });

    private string WritePfx(string path, string subject)
    {
        using var leaf = fixture.Ca.IssueClientCertificate(subject);
        fixture.Ca.WritePfx(path, leaf, Password);
        return leaf.Thumbprint;
    }

    /// <summary>Writes a PFX whose leaf became valid a day before <paramref name="now"/> and expires at <paramref name="notAfter"/>.</summary>
    private X509Certificate2 WritePfxValidUntil(string path, string subject, DateTimeOffset notAfter, DateTimeOffset now)
    {
        var leaf = fixture.Ca.IssueClientCertificate(subject, o =>
        {
            o.NotBefore = now.AddDays(-1);
            o.NotAfter = notAfter;
        });
        fixture.Ca.WritePfx(path, leaf, Password);
        return leaf;
    }

    private void WriteBadReplacement(string path, string kind)
    {
        switch (kind)
        {
            case "truncated":
                using (var leaf = fixture.Ca.IssueClientCertificate("CN=half"))
                {
                    var bytes = fixture.Ca.ExportPfx(leaf, Password);
                    File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
                }

                break;
            case "wrong-password":
                using (var leaf = fixture.Ca.IssueClientCertificate("CN=other-password"))
                {
                    fixture.Ca.WritePfx(path, leaf, "another-password");
                }

                break;
            default:
                using (var leaf = fixture.Ca.IssueClientCertificate("CN=expired", o =>
                {
                    o.NotBefore = DateTimeOffset.UtcNow.AddDays(-10);
                    o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
                }))
                {
                    fixture.Ca.WritePfx(path, leaf, Password);
                }

                break;
        }
    }

    private static ClientCertificateSource Entry(IHost host)
    {
        var source = host.Services.GetRequiredKeyedService<ClientCertificateSource>(Client);
        source.IsStarted.Should().BeTrue();
        return source;
    }

    private static string CurrentThumbprint(IHost host) => Entry(host).Current.Certificate!.Certificate.Thumbprint;

    /// <summary>A real provider whose certificate the test renews, signalling the change through its token.</summary>
    private sealed class RotatingProvider : ICertificateProvider
    {
        private readonly TestCertificateAuthority _ca;
        private byte[] _pfx;
        private CancellationTokenSource _changed = new();
        private int _generation = 1;

        public RotatingProvider(TestCertificateAuthority ca)
        {
            _ca = ca;
            _pfx = Issue(ca, out var thumbprint, _generation);
            CurrentThumbprint = thumbprint;
        }

        public string CurrentThumbprint { get; private set; }

        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            var certificates = X509CertificateLoader.LoadPkcs12Collection(Volatile.Read(ref _pfx), Password);
            return ValueTask.FromResult<ClientCertificateBundle?>(new ClientCertificateBundle(certificates));
        }

        public Microsoft.Extensions.Primitives.IChangeToken GetChangeToken(CertificateProviderContext context) =>
            new Microsoft.Extensions.Primitives.CancellationChangeToken(Volatile.Read(ref _changed).Token);

        public void Rotate()
        {
            Volatile.Write(ref _pfx, Issue(_ca, out var thumbprint, ++_generation));
            CurrentThumbprint = thumbprint;
            var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            previous.Cancel();
            previous.Dispose();
        }

        private static byte[] Issue(TestCertificateAuthority ca, out string thumbprint, int generation)
        {
            using var leaf = ca.IssueClientCertificate($"CN=provided-{generation}");
            thumbprint = leaf.Thumbprint;
            return ca.ExportPfx(leaf, Password);
        }
    }
}

using System.Diagnostics.Metrics;
using System.Reflection;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Identities;
using ClientCertHttp.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClientCertHttp.Tests.Identities;

public sealed class IdentityOptionsTests : IDisposable
{
    private const string Client = "tenants";
    private readonly ClientCertFixture _fixture = new();

    [Fact]
    public async Task AddClientCertHttpClient_IdentitiesFromConfiguration_BindAndStartWithoutACertificateOfTheClientsOwn()
    {
        var pfx = _fixture.WriteClientPfx();
        var configuration = Configuration(new Dictionary<string, string?>
        {
            ["Clients:tenants:Identities:Certificates:tenant-a:Path"] = pfx,
            ["Clients:tenants:Identities:Certificates:tenant-a:Password"] = ClientCertFixture.Password,
            ["Clients:tenants:Identities:MaxIdentities"] = "50",
            ["Clients:tenants:Identities:IdleTimeout"] = "00:05:00",
        });
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient(Client, configuration.GetSection("Clients:tenants")));

        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get(Client);
        options.Identities.Certificates.Should().ContainKey("tenant-a").WhoseValue.Path.Should().Be(pfx);
        options.Identities.MaxIdentities.Should().Be(50);
        options.Identities.IdleTimeout.Should().Be(TimeSpan.FromMinutes(5));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_MisspelledKeyInsideAnIdentity_FailsAtStartupNamingTheFullKey()
    {
        var configuration = Configuration(new Dictionary<string, string?>
        {
            ["Clients:tenants:Identities:Certificates:tenant-a:Pth"] = "a.pfx",
        });

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, configuration.GetSection("Clients:tenants")));

        ex.Message.Should().Contain("'Clients:tenants:Identities:Certificates:tenant-a:Pth' is not a ClientCertHttp setting").And.Contain("did you mean 'Path'");
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("tenant/a")]
    [InlineData(".hidden")]
    public async Task AddClientCertHttpClient_IdentityNameOutsideTheAlphabet_FailsAtStartup(string identity)
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, o =>
            o.Identities.Certificates[identity] = new ClientCertificateOptions { Path = "a.pfx" }));

        ex.Message.Should().Contain("is not a valid identity");
    }

    [Theory]
    [InlineData(0, "Identities:MaxIdentities")]
    [InlineData(2_000_000, "Identities:MaxIdentities")]
    public async Task AddClientCertHttpClient_MaxIdentitiesOutOfRange_FailsAtStartup(int maxIdentities, string key)
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, o =>
        {
            o.Identities.Directory = _fixture.Temp.Path;
            o.Identities.MaxIdentities = maxIdentities;
        }));

        ex.Message.Should().Contain(key);
    }

    [Fact]
    public async Task AddClientCertHttpClient_IdentityWithTwoSources_FailsAtStartupNamingTheIdentity()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, o =>
            o.Identities.Certificates["tenant-a"] = new ClientCertificateOptions { Path = "a.pfx", Directory = "/secret" }));

        ex.Reason.Should().Be(ClientCertificateFailureReason.MultipleCertificateSources);
        ex.Message.Should().Contain("identity 'tenant-a'").And.Contain("Identities:Certificates:tenant-a must configure exactly one");
    }

    [Fact]
    public async Task AddClientCertHttpClient_NoCertificateAndNoIdentities_StillFailsAsNoCertificateConfigured()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, _ => { }));

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoCertificateConfigured);
    }

    [Fact]
    public void Compose_CopiesEverySettingOfTheClient_ButTheCertificate()
    {
        var client = new ClientCertHttpOptions
        {
            BaseAddress = new Uri("https://api.example.test/"),
            ExpiryWarningWindow = TimeSpan.FromDays(3),
        };
        var certificate = new ClientCertificateOptions { Path = "tenant.pfx" };

        var composed = IdentityOptionsMonitor.Compose(client, "tenant-a", certificate);

        foreach (var property in typeof(ClientCertHttpOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var expected = property.Name == nameof(ClientCertHttpOptions.Certificate) ? certificate : property.GetValue(client);
            var actual = property.GetValue(composed);
            if (property.PropertyType.IsValueType)
            {
                actual.Should().Be(expected, $"the identity's {property.Name} is the client's");
            }
            else
            {
                actual.Should().BeSameAs(expected, $"the identity's {property.Name} is the client's");
            }
        }
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("tenant\nforged log line")]
    [InlineData("")]
    public async Task GetAsync_IdentityOutsideTheAlphabet_IsUnknown_AndNeverTouchesTheDirectory(string identity)
    {
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient(Client, o => o.Identities.Directory = _fixture.Temp.Path));
        await host.StartAsync();
        var pool = host.Services.GetRequiredKeyedService<ClientCertificateIdentityPool>(Client);

        var ex = await FluentActions.Awaiting(() => pool.GetAsync(identity, CancellationToken.None).AsTask()).Should().ThrowAsync<ClientCertificateException>();

        ex.Which.Reason.Should().Be(ClientCertificateFailureReason.UnknownIdentity);
        ex.Which.Message.Should().NotContain(identity.Length == 0 ? "''" : identity).And.Contain("not a valid identity name");
        await host.StopAsync();
    }

    [Fact]
    public async Task Sweep_IdentityIdleLongerThanIdleTimeout_IsUnloaded_AndCounted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var folder = _fixture.Temp.Combine("tenants");
        Directory.CreateDirectory(folder);
        using (var leaf = _fixture.Ca.IssueClientCertificate("CN=tenant-a"))
        {
            _fixture.Ca.WriteKubernetesTlsSecret(Path.Combine(folder, "tenant-a"), leaf);
        }

        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddClientCertHttpClient(Client, o =>
            {
                o.Identities.Directory = folder;
                o.Identities.IdleTimeout = TimeSpan.FromMinutes(10);
            });
        });
        await host.StartAsync();
        using var evictions = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.IdentityEvictions);
        var pool = host.Services.GetRequiredKeyedService<ClientCertificateIdentityPool>(Client);

        var entry = await pool.GetAsync("tenant-a", CancellationToken.None);
        entry.Source.Current.Certificate!.Certificate.Subject.Should().Be("CN=tenant-a");
        time.Advance(TimeSpan.FromMinutes(5));
        pool.Sweep();
        pool.Count.Should().Be(1, "five idle minutes are inside the ten-minute idle timeout");

        time.Advance(TimeSpan.FromMinutes(6));
        pool.Sweep();

        pool.Count.Should().Be(0);
        var measurement = evictions.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        measurement.Tags[ClientCertHttpMetrics.EvictionReasonTag].Should().Be("idle");
        measurement.Tags.Should().NotContainKey(ClientCertHttpMetrics.IdentityTag, "identity tags are opt-in");
        await host.StopAsync();
    }

    [Fact]
    public async Task HealthCheck_AnIdentityInsideTheExpiryWindow_DegradesTheClient_WithOneAggregatedEntry()
    {
        var folder = _fixture.Temp.Combine("health-tenants");
        Directory.CreateDirectory(folder);
        using (var fresh = _fixture.Ca.IssueClientCertificate("CN=tenant-fresh"))
        using (var expiring = _fixture.Ca.IssueClientCertificate("CN=tenant-expiring", o => o.NotAfter = DateTimeOffset.UtcNow.AddHours(12)))
        {
            _fixture.Ca.WriteKubernetesTlsSecret(Path.Combine(folder, "tenant-fresh"), fresh);
            _fixture.Ca.WriteKubernetesTlsSecret(Path.Combine(folder, "tenant-expiring"), expiring);
        }

        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddHealthChecks().AddClientCertificateHealthCheck();
            services.AddClientCertHttpClient(Client, o =>
            {
                o.Identities.Directory = folder;
                o.ExpiryWarningWindow = TimeSpan.FromDays(1);
            });
        });
        await host.StartAsync();
        var health = host.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();
        var pool = host.Services.GetRequiredKeyedService<ClientCertificateIdentityPool>(Client);

        await pool.GetAsync("tenant-fresh", CancellationToken.None);
        (await health.CheckHealthAsync()).Status.Should().Be(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy);

        await pool.GetAsync("tenant-expiring", CancellationToken.None);
        var report = await health.CheckHealthAsync();

        report.Status.Should().Be(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded);
        var entry = report.Entries.Values.Should().ContainSingle().Subject;
        entry.Description.Should().Contain("identity 'tenant-expiring'").And.NotContain("tenant-fresh");
        entry.Data.Should().ContainKey($"{Client}:identities");
        await host.StopAsync();
    }

    public void Dispose() => _fixture.Dispose();

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}

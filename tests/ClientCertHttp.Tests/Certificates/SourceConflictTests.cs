using ClientCertHttp.Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Tests.Certificates;

public sealed class SourceConflictTests
{
    public static TheoryData<string, string, string> Pairs => new()
    {
        { "Path", "Base64", "x.pfx|QUJD" },
        { "Path", "Directory", "x.pfx|/secret" },
        { "Store", "Directory", "My|/secret" },
        { "Subject", "Base64", "CN=x|QUJD" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task AddClientCertHttpClient_TwoSources_FailsNamingBothKeys(string first, string second, string values)
    {
        var parts = values.Split('|');
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"Clients:payments:Certificate:{first}"] = parts[0],
            [$"Clients:payments:Certificate:{second}"] = parts[1],
        }).Build();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("Clients:payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.MultipleCertificateSources);
        ex.Message.Should().Contain($"Clients:payments:Certificate:{first}").And.Contain($"Clients:payments:Certificate:{second}").And.Contain("'payments'");
    }

    [Fact]
    public async Task AddClientCertHttpClient_KeyPathWithoutPath_FailsAsInvalidConfiguration()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", o => o.Certificate.KeyPath = "client.key"));

        ex.Message.Should().Contain("Certificate:KeyPath").And.Contain("without");
    }

    [Fact]
    public async Task AddClientCertHttpClient_ThumbprintWithoutStore_SaysWhereToLook()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", o => o.Certificate.Thumbprint = new string('B', 40)));

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoCertificateConfigured);
        ex.Message.Should().Contain("Certificate:Thumbprint alone").And.Contain("Certificate:Store");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(600)]
    public async Task AddCertificateProvider_ProviderTimeoutOutOfRange_FailsAsInvalidConfigurationWithoutCallingTheProvider(int seconds)
    {
        var provider = new CountingProvider();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services
            .AddClientCertHttpClient("payments", o => o.Certificate.ProviderTimeout = TimeSpan.FromSeconds(seconds))
            .AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Certificate:ProviderTimeout");
        provider.Calls.Should().Be(0);
    }

    [Fact]
    public async Task AddClientCertHttpClient_LocationFromConfiguration_BindsTheEnum()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["c:Certificate:Store"] = "NoSuchStoreForBinding",
            ["c:Certificate:Location"] = "LocalMachine",
            ["c:Certificate:Subject"] = "CN=x",
        }).Build();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("c")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        ex.Message.Should().Contain(@"LocalMachine\NoSuchStoreForBinding");
    }

    private sealed class CountingProvider : ICertificateProvider
    {
        public int Calls { get; private set; }

        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult<ClientCertificateBundle?>(null);
        }
    }
}

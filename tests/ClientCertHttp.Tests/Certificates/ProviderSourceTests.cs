using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Tests.Certificates;

public sealed class ProviderSourceTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Fact]
    public async Task AddCertificateProvider_Generic_ResolvesTheProviderWithItsDependenciesAndLoadsItsCertificate()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=provided");
        var source = new CertificateSource(fixture.Ca, leaf);

        var report = await SourceTestHost.LoadAsync(
            o => { },
            builder =>
            {
                builder.Services.AddSingleton(source);
                builder.AddCertificateProvider<VaultLikeProvider>();
            });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
        report.Source.Should().Contain(typeof(VaultLikeProvider).FullName);
        source.Requests.Should().ContainSingle().Which.Should().Be(SourceTestHost.Client);
    }

    [Fact]
    public async Task AddCertificateProvider_Instance_IsUsedForThatClientOnly()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=instance");
        var provider = new VaultLikeProvider(new CertificateSource(fixture.Ca, leaf));

        var report = await SourceTestHost.LoadAsync(o => { }, builder => builder.AddCertificateProvider(provider));

        report.Thumbprint.Should().Be(leaf.Thumbprint);
    }

    [Fact]
    public async Task AddCertificateProvider_Factory_IsCalledWithTheServiceProvider()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=factory");
        var source = new CertificateSource(fixture.Ca, leaf);

        var report = await SourceTestHost.LoadAsync(
            o => { },
            builder =>
            {
                builder.Services.AddSingleton(source);
                builder.AddCertificateProvider(sp => new VaultLikeProvider(sp.GetRequiredService<CertificateSource>()));
            });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
    }

    [Fact]
    public async Task AddCertificateProvider_ListOfCandidates_ChoosesTheValidOneThatExpiresLast()
    {
        var now = DateTimeOffset.UtcNow;
        using var expired = fixture.Ca.IssueClientCertificate("CN=old", o => { o.NotBefore = now.AddDays(-90); o.NotAfter = now.AddDays(-1); });
        using var current = fixture.Ca.IssueClientCertificate("CN=current", o => o.NotAfter = now.AddDays(20));
        using var newer = fixture.Ca.IssueClientCertificate("CN=newer", o => o.NotAfter = now.AddDays(60));
        var provider = new ListProvider(() => [Copy(expired), Copy(current), Copy(newer), ClientCertFixture.PublicOnly(fixture.Ca.Intermediate)]);

        var report = await SourceTestHost.LoadAsync(o => { }, builder => builder.AddCertificateProvider(provider));

        report.Thumbprint.Should().Be(newer.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
        report.Logs.Should().Contain(m => m.Contains("chose the certificate") && m.Contains("CN=newer") && m.Contains("expired"));
    }

    [Fact]
    public async Task AddCertificateProvider_ProviderThrows_FailsAsProviderFailedWithoutItsMessage()
    {
        var provider = new ListProvider(() => throw new InvalidOperationException("vault token s.SECRET-TOKEN-123 rejected"));

        var ex = await SourceTestHost.FailAsync(o => { }, builder => builder.AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateProviderFailed);
        ex.Message.Should().Contain(nameof(InvalidOperationException)).And.Contain(typeof(ListProvider).FullName!);
        SourceTestHost.AssertNamesClientAndSource(ex, typeof(ListProvider).FullName!, "SECRET-TOKEN-123");
    }

    [Fact]
    public async Task AddCertificateProvider_ProviderReturnsNull_FailsAsProviderFailed()
    {
        var provider = new ListProvider(() => null);

        var ex = await SourceTestHost.FailAsync(o => { }, builder => builder.AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateProviderFailed);
        ex.Message.Should().Contain("returned null");
        SourceTestHost.AssertNamesClientAndSource(ex, typeof(ListProvider).FullName!);
    }

    [Fact]
    public async Task AddCertificateProvider_ProviderNeverAnswers_FailsAfterTheTimeoutAndCancelsIt()
    {
        var provider = new HangingProvider();

        var ex = await SourceTestHost.FailAsync(
            o => o.Certificate.ProviderTimeout = TimeSpan.FromMilliseconds(200),
            builder => builder.AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateProviderFailed);
        ex.Message.Should().Contain("within").And.Contain("Certificate:ProviderTimeout");
        // The bound only keeps a regression from hanging the run; the assertion is that the token was cancelled.
        (await provider.Cancelled.Task.WaitAsync(TimeSpan.FromMinutes(1))).Should().BeTrue();
    }

    [Fact]
    public async Task AddCertificateProvider_ProviderTimeoutFromConfiguration_IsBoundAndNamedByItsKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClientCertHttp:Clients:payments:Certificate:ProviderTimeout"] = "00:00:00.2",
        }).Build();
        var provider = new HangingProvider();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services
            .AddClientCertHttpClient("payments", configuration.GetSection("ClientCertHttp:Clients:payments"))
            .AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateProviderFailed);
        ex.Message.Should().Contain("00:00:00.2").And.Contain("ClientCertHttp:Clients:payments:Certificate:ProviderTimeout");
    }

    [Fact]
    public async Task AddCertificateProvider_ProviderIgnoringCancellation_StillFailsAtTheTimeout()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=late");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new StubbornProvider(gate.Task, () => [Copy(leaf)]);

        var ex = await SourceTestHost.FailAsync(
            o => o.Certificate.ProviderTimeout = TimeSpan.FromMilliseconds(200),
            builder => builder.AddCertificateProvider(provider));
        gate.SetResult();

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateProviderFailed);
        ex.Message.Should().Contain("did not return a certificate within");
    }

    [Fact]
    public async Task AddCertificateProvider_ProviderReturnsOnlyPublicCertificates_FailsAsNoPrivateKey()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=public-only");
        var provider = new ListProvider(() => [ClientCertFixture.PublicOnly(leaf)]);

        var ex = await SourceTestHost.FailAsync(o => { }, builder => builder.AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoPrivateKey);
        ex.Message.Should().Contain("CN=public-only").And.Contain("no private key");
    }

    [Fact]
    public async Task AddCertificateProvider_TwoProviders_FailsAsMultipleSources()
    {
        var provider = new ListProvider(() => null);

        var ex = await SourceTestHost.FailAsync(o => { }, builder => builder.AddCertificateProvider(provider).AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.MultipleCertificateSources);
        ex.Message.Should().Contain("AddCertificateProvider was called 2 times");
    }

    [Fact]
    public async Task AddCertificateProvider_AndAPath_FailsAsMultipleSourcesNamingBoth()
    {
        var provider = new ListProvider(() => null);

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Path = "client.pfx", builder => builder.AddCertificateProvider(provider));

        ex.Reason.Should().Be(ClientCertificateFailureReason.MultipleCertificateSources);
        ex.Message.Should().Contain("Certificate:Path").And.Contain("AddCertificateProvider");
    }

    [Fact]
    public void ICertificateProvider_DefaultChangeToken_NeverFires()
    {
        ICertificateProvider provider = new ListProvider(() => null);

        var token = provider.GetChangeToken(new CertificateProviderContext("x", new ClientCertificateOptions()));

        token.HasChanged.Should().BeFalse();
        token.ActiveChangeCallbacks.Should().BeFalse();
    }

    private static X509Certificate2 Copy(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    /// <summary>Stands in for a vault client: a service the provider depends on.</summary>
    public sealed class CertificateSource(TestCertificateAuthority ca, X509Certificate2 leaf)
    {
        public List<string> Requests { get; } = [];

        public byte[] FetchPfx(string clientName)
        {
            lock (Requests)
            {
                Requests.Add(clientName);
            }

            return ca.ExportPfx(leaf, "vault");
        }
    }

    /// <summary>A provider with a constructor dependency, resolved through DI.</summary>
    public sealed class VaultLikeProvider(CertificateSource source) : ICertificateProvider
    {
        public async ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            await Task.Yield();
            var collection = X509CertificateLoader.LoadPkcs12Collection(source.FetchPfx(context.ClientName), "vault");
            return new ClientCertificateBundle(collection);
        }
    }

    private sealed class ListProvider(Func<IEnumerable<X509Certificate2>?> certificates) : ICertificateProvider
    {
        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            var list = certificates();
            return ValueTask.FromResult(list is null ? null : new ClientCertificateBundle(list));
        }
    }

    /// <summary>Ignores its cancellation token and answers only when the test opens the gate.</summary>
    private sealed class StubbornProvider(Task gate, Func<IEnumerable<X509Certificate2>> certificates) : ICertificateProvider
    {
        public async ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            await gate;
            return new ClientCertificateBundle(certificates());
        }
    }

    private sealed class HangingProvider : ICertificateProvider
    {
        public TaskCompletionSource<bool> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult(true);
                throw;
            }

            return null;
        }
    }
}

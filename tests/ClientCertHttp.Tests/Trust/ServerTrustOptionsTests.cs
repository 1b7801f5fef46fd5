using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Tests.Trust;

/// <summary>Binding and startup validation of the ServerTrust settings, with the contract key names of issue #5.</summary>
public sealed class ServerTrustOptionsTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public async Task AddClientCertHttpClient_ServerTrustJson_BindsEveryContractKey()
    {
        var pfx = fixture.WriteClientPfx();
        var roots = fixture.Ca.WriteRootPem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-root.pem"));
        var intermediates = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-int.pem"), fixture.Ca.Intermediate);
        var pin = Convert.ToBase64String(SHA256.HashData(fixture.Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo()));
        var configuration = LoadJson($$"""
            { "payments": {
                "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" },
                "ServerTrust": {
                  "Mode": "SystemAndCustomRoots",
                  "RootCertificatesPath": {{Json(roots)}},
                  "IntermediateCertificatesPath": {{Json(intermediates)}},
                  "PinnedPublicKeys": [ "{{pin}}", "{{UnrelatedPin()}}" ],
                  "AllowedServerIdentities": [ "dns:api.corp.example", "uri:spiffe://corp/payments" ],
                  "RevocationMode": "Online", "RevocationTimeout": "00:00:02",
                  "DangerousAcceptAnyServerCertificate": false,
                  "AllowSha1SignedServerCertificate": true,
                  "MinimumRsaKeySize": 3072,
                  "AllowServerCertificateWithoutSubjectAlternativeName": true,
                  "AllowCertificateAuthorityAsServerCertificate": true,
                  "AllowCertificateSigningKeyAsServerCertificate": true,
                  "AllowServerCertificateWithoutExtendedKeyUsage": true,
                  "AllowWildcardNameConstraintOverlap": true
                }
            } }
            """);
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));
        await host.StartAsync();

        var trust = host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments").ServerTrust;
        trust.Mode.Should().Be(ServerTrustMode.SystemAndCustomRoots);
        trust.IntermediateCertificatesPath.Should().Be(intermediates);
        trust.PinnedPublicKeys.Should().Equal(pin, UnrelatedPin());
        trust.AllowedServerIdentities.Should().Equal("dns:api.corp.example", "uri:spiffe://corp/payments");
        trust.RevocationMode.Should().Be(X509RevocationMode.Online);
        trust.RevocationTimeout.Should().Be(TimeSpan.FromSeconds(2));
        trust.AllowSha1SignedServerCertificate.Should().BeTrue();
        trust.MinimumRsaKeySize.Should().Be(3072);
        trust.AllowServerCertificateWithoutSubjectAlternativeName.Should().BeTrue();
        trust.AllowCertificateAuthorityAsServerCertificate.Should().BeTrue();
        trust.AllowCertificateSigningKeyAsServerCertificate.Should().BeTrue();
        trust.AllowServerCertificateWithoutExtendedKeyUsage.Should().BeTrue();
        trust.AllowWildcardNameConstraintOverlap.Should().BeTrue();

        var policy = PrimaryHandler(host).SslOptions.CertificateChainPolicy!;
        policy.TrustMode.Should().Be(X509ChainTrustMode.System);
        policy.RevocationMode.Should().Be(X509RevocationMode.Online);
        policy.UrlRetrievalTimeout.Should().Be(TimeSpan.FromSeconds(2));
        policy.ExtraStore.Select(c => c.Thumbprint).Should().BeEquivalentTo([fixture.Ca.Intermediate.Thumbprint, fixture.Ca.Root.Thumbprint]);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_MisspelledServerTrustKey_FailsWithSuggestion()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""
            { "payments": { "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" }, "ServerTrust": { "PinnedPublicKey": [ "x" ] } } }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));

        ex.Message.Should().Contain("'payments:ServerTrust:PinnedPublicKey'").And.Contain("did you mean 'PinnedPublicKeys'?");
    }

    [Fact]
    public async Task AddClientCertHttpClient_PinsGivenAsASingleString_FailsInsteadOfBeingIgnored()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""
            { "payments": { "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" }, "ServerTrust": { "PinnedPublicKeys": "{{UnrelatedPin()}}" } } }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("'payments:ServerTrust:PinnedPublicKeys' is a list");
    }

    [Fact]
    public async Task AddClientCertHttpClient_EmptyPinList_IsAccepted()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""
            { "payments": { "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" }, "ServerTrust": { "PinnedPublicKeys": [], "AllowedServerIdentities": [] } } }
            """);
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));

        await host.StartAsync();

        host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments").ServerTrust.PinnedPublicKeys.Should().BeEmpty();
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_InvalidPinsAndIdentities_ReportsEachWithItsKey()
    {
        var ex = await StartupFailureAsync(o =>
        {
            o.ServerTrust.PinnedPublicKeys.Add("not-base64!");
            o.ServerTrust.PinnedPublicKeys.Add(Convert.ToBase64String(new byte[20]));
            o.ServerTrust.AllowedServerIdentities.Add("spiffe://corp/payments");
            o.ServerTrust.AllowedServerIdentities.Add("uri:not a uri");
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Failures.Should().HaveCount(4);
        ex.Message.Should()
            .Contain("ServerTrust:PinnedPublicKeys:0").And.Contain("ServerTrust:PinnedPublicKeys:1").And.Contain("openssl dgst -sha256 -binary | base64")
            .And.Contain("ServerTrust:AllowedServerIdentities:0").And.Contain("uri:<URI")
            .And.Contain("ServerTrust:AllowedServerIdentities:1");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(120)]
    public async Task AddClientCertHttpClient_RevocationTimeoutOutOfRange_FailsAtStartup(int seconds)
    {
        var ex = await StartupFailureAsync(o => o.ServerTrust.RevocationTimeout = TimeSpan.FromSeconds(seconds));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("ServerTrust:RevocationTimeout");
    }

    [Fact]
    public async Task AddClientCertHttpClient_RootsWithSystemMode_FailsBecauseTheyWouldBeIgnored()
    {
        var ex = await StartupFailureAsync(o => o.ServerTrust.RootCertificatesBase64 = Convert.ToBase64String(fixture.Ca.Root.RawData));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("ServerTrust:RootCertificatesBase64").And.Contain("System");
    }

    [Fact]
    public async Task AddClientCertHttpClient_RootsBase64NotBase64_FailsAtStartup()
    {
        var ex = await StartupFailureAsync(o =>
        {
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesBase64 = "%%%";
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("ServerTrust:RootCertificatesBase64").And.Contain("base64");
    }

    [Fact]
    public async Task AddClientCertHttpClient_StoreThatDoesNotExist_FailsNamingTheStore()
    {
        var ex = await StartupFailureAsync(o =>
        {
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.Store = "ClientCertHttpNoSuchStore";
            o.ServerTrust.Location = StoreLocation.CurrentUser;
            o.ServerTrust.Thumbprint = new string('A', 40);
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("CurrentUser/ClientCertHttpNoSuchStore").And.Contain("ServerTrust:Store");
        ex.CertificateSource.Should().Contain(new string('A', 40));
    }

    [Fact]
    public async Task AddClientCertHttpClient_StoreWithoutThumbprint_FailsAtStartup()
    {
        var ex = await StartupFailureAsync(o =>
        {
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.Store = "My";
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("ServerTrust:Thumbprint");
    }

    [Fact]
    public async Task AddClientCertHttpClient_DangerousOutsideDevelopment_FailsAtStartup()
    {
        var ex = await StartupFailureAsync(o => o.ServerTrust.DangerousAcceptAnyServerCertificate = true);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("ServerTrust:DangerousAcceptAnyServerCertificate").And.Contain("Development");
    }

    [Fact]
    public async Task AddClientCertHttpClient_ValidatorsReplaceVerdictWithoutValidators_FailsAtStartup()
    {
        var ex = await StartupFailureAsync(o => o.ServerTrust.ValidatorsReplaceBuiltInVerdict = true);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("AddServerCertificateValidator");
    }

    [Fact]
    public async Task AddClientCertHttpClient_HandlerWithOwnChainPolicy_FailsAtStartupPointingToValidators()
    {
        var pfx = fixture.WriteClientPfx();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = pfx;
                o.Certificate.Password = Password;
            })
            .UseSocketsHttpHandler((handler, _) => handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy()));

        ex.Reason.Should().Be(ClientCertificateFailureReason.UnsupportedPrimaryHandler);
        ex.Message.Should().Contain("AddServerCertificateValidator");
    }

    [Fact]
    public async Task AddServerCertificateValidator_ValidatorType_IsCreatedOncePerOptionsNotPerHandler()
    {
        var pfx = fixture.WriteClientPfx();
        CountingValidator.Created = 0;
        using var host = ClientCertFixture.BuildHost(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = pfx;
                o.Certificate.Password = Password;
            })
            .AddServerCertificateValidator<CountingValidator>());
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IHttpMessageHandlerFactory>();

        var first = ClientCertFixture.PrimaryHandler(factory.CreateHandler("payments"));
        var second = ClientCertFixture.PrimaryHandler(factory.CreateHandler("payments"));

        CountingValidator.Created.Should().Be(1);
        second.SslOptions.RemoteCertificateValidationCallback.Should().BeSameAs(first.SslOptions.RemoteCertificateValidationCallback);
        await host.StopAsync();
    }

    private async Task<ClientCertificateException> StartupFailureAsync(Action<ClientCertHttpOptions> configure)
    {
        var pfx = fixture.WriteClientPfx();
        return await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = Password;
            configure(o);
        }));
    }

    [Theory]
    [InlineData(ServerTrustMode.CustomRoots, X509RevocationMode.NoCheck, true)]
    [InlineData(ServerTrustMode.CustomRoots, X509RevocationMode.Offline, true)]
    [InlineData(ServerTrustMode.CustomRoots, X509RevocationMode.Online, false)]
    [InlineData(ServerTrustMode.System, X509RevocationMode.NoCheck, false)]
    public async Task ServerTrust_CertificateDownloads_AreOffForCustomRootsUnlessRevocationIsOnline(ServerTrustMode mode, X509RevocationMode revocation, bool disabled)
    {
        // Issue 14, item 8: the policy used to keep the platform's default (downloads on) for a private PKI too.
        var pfx = fixture.WriteClientPfx();
        var roots = fixture.Ca.WriteRootPem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-root.pem"));
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = ClientCertFixture.Password;
            o.ServerTrust.Mode = mode;
            o.ServerTrust.RevocationMode = revocation;
            if (mode == ServerTrustMode.CustomRoots)
            {
                o.ServerTrust.RootCertificatesPath = roots;
            }
        }));
        await host.StartAsync();

        PrimaryHandler(host).SslOptions.CertificateChainPolicy!.DisableCertificateDownloads.Should().Be(disabled);
        await host.StopAsync();
    }

    private static SocketsHttpHandler PrimaryHandler(Microsoft.Extensions.Hosting.IHost host) =>
        ClientCertFixture.PrimaryHandler(host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments"));

    private static string UnrelatedPin() => "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    private IConfiguration LoadJson(string json)
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    public sealed class CountingValidator : IServerCertificateValidator
    {
        private static int s_created;

        public CountingValidator() => Interlocked.Increment(ref s_created);

        public static int Created
        {
            get => Volatile.Read(ref s_created);
            set => Volatile.Write(ref s_created, value);
        }

        public ServerCertificateValidationResult Validate(ServerCertificateValidationContext context) => ServerCertificateValidationResult.Accept;
    }
}

using System.Collections.Concurrent;
using System.Net.Security;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ClientCertHttp.FunctionalTests.Trust;

/// <summary>Validator hooks (IServerCertificateValidator, delegates, DI) and the Dangerous switch against real servers.</summary>
[Collection(MtlsServerGroup.Name)]
public sealed class ValidatorTests(MtlsFixture fixture)
{
    [Fact]
    public async Task DelegateValidator_Rejecting_IsReportedAsValidatorRejectedWithItsReason()
    {
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", fixture.Configure)
            .AddServerCertificateValidator(_ => ServerCertificateValidationResult.Reject("payments servers must be in the PCI zone")));

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.ValidatorRejected);
        ex.Message.Should().Contain("payments servers must be in the PCI zone");
        ex.ServerThumbprint.Should().Be(fixture.Server.ServerCertificate.Thumbprint);
    }

    [Fact]
    public async Task Validators_RunInRegistrationOrder_AndTheFirstRejectionStops()
    {
        var calls = new ConcurrentQueue<string>();
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", fixture.Configure)
            .AddServerCertificateValidator(_ => Record(calls, "first", ServerCertificateValidationResult.Accept))
            .AddServerCertificateValidator(_ => Record(calls, "second", ServerCertificateValidationResult.Reject("second says no")))
            .AddServerCertificateValidator(_ => Record(calls, "third", ServerCertificateValidationResult.Accept)));

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        calls.Should().Equal("first", "second");
        ex.Message.Should().Contain("second says no");
    }

    [Fact]
    public async Task Validators_AllAccepting_TheRequestSucceedsAndTheySeeTheHandshake()
    {
        var contexts = new ConcurrentQueue<(string Client, string Host, string Subject, int ChainLength, SslPolicyErrors Errors, ServerCertificateFailureReason? BuiltIn)>();
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", fixture.Configure)
            .AddServerCertificateValidator(c =>
            {
                contexts.Enqueue((c.ClientName, c.TargetHost, c.Certificate.Subject, c.Chain.ChainElements.Count, c.SslPolicyErrors, c.BuiltInFailure));
                return ServerCertificateValidationResult.Accept;
            }));

        await ServerTrustTests.RequestAndAssertOkAsync(host, "payments");

        contexts.Should().ContainSingle().Which.Should().Be(("payments", "127.0.0.1", fixture.Server.ServerCertificate.Subject, 3, SslPolicyErrors.None, (ServerCertificateFailureReason?)null));
    }

    [Fact]
    public async Task DependencyInjectedValidator_UsesItsDependency()
    {
        using var host = await MtlsFixture.StartHostAsync(services =>
        {
            services.AddSingleton(new AllowedSubjects("CN=some-other-server"));
            services.AddClientCertHttpClient("payments", fixture.Configure).AddServerCertificateValidator<SubjectAllowListValidator>();
        });

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.ValidatorRejected);
        ex.Message.Should().Contain("CN=some-other-server").And.Contain(nameof(SubjectAllowListValidator));
    }

    [Fact]
    public async Task Validator_ByDefault_CannotOverruleABuiltInRejection()
    {
        var called = 0;
        using var otherCa = TestCertificateAuthority.Create("Validator other");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartClientAsync(server, replaceBuiltInVerdict: false, _ =>
        {
            Interlocked.Increment(ref called);
            return ServerCertificateValidationResult.Accept;
        });

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.PartialChain);
        called.Should().Be(0);
    }

    [Fact]
    public async Task ValidatorsReplaceBuiltInVerdict_AcceptingValidator_AcceptsAServerTheBuiltInChecksReject()
    {
        var builtIn = new ConcurrentQueue<ServerCertificateFailureReason?>();
        using var otherCa = TestCertificateAuthority.Create("Validator replaced");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartClientAsync(server, replaceBuiltInVerdict: true, c =>
        {
            builtIn.Enqueue(c.BuiltInFailure);
            return c.Certificate.Thumbprint == server.ServerCertificate.Thumbprint
                ? ServerCertificateValidationResult.Accept
                : ServerCertificateValidationResult.Reject("unknown server");
        });

        await ServerTrustTests.RequestAndAssertOkAsync(host, "payments");

        builtIn.Should().ContainSingle().Which.Should().Be(ServerCertificateFailureReason.PartialChain);
    }

    [Fact]
    public async Task ValidatorsReplaceBuiltInVerdict_AcceptingValidator_StillCannotWaiveAPin()
    {
        // Issue 14, item 5: a chain failure used to short-circuit the pins, so a validator that accepts the chain waived them.
        using var otherCa = TestCertificateAuthority.Create("Validator replaced, pinned");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
                o.ServerTrust.ValidatorsReplaceBuiltInVerdict = true;
                o.ServerTrust.PinnedPublicKeys.Add(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(fixture.Ca.Root.PublicKey.ExportSubjectPublicKeyInfo())));
            })
            .AddServerCertificateValidator(_ => ServerCertificateValidationResult.Accept));

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.PinMismatch);
    }

    [Fact]
    public async Task ValidatorsReplaceBuiltInVerdict_CannotAcceptAWrongHostName()
    {
        var called = 0;
        using var wrongName = fixture.IssueWrongNameServerCertificate();
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.ServerCertificate = wrongName);
        using var host = await StartClientAsync(server, replaceBuiltInVerdict: true, _ =>
        {
            Interlocked.Increment(ref called);
            return ServerCertificateValidationResult.Accept;
        });

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch);
        called.Should().Be(0);
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificate_InDevelopment_AcceptsAnUntrustedServerAndWarnsAtStartupAndPerValidation()
    {
        using var otherCa = TestCertificateAuthority.Create("Dangerous");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartDangerousDevelopmentClientAsync(server);
        var collector = host.Services.GetFakeLogCollector();
        collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 21 && r.Level == LogLevel.Warning, "the startup warning");

        await ServerTrustTests.RequestAndAssertOkAsync(host, "payments");

        var accepted = collector.GetSnapshot().Where(r => r.Id.Id == 22).ToList();
        accepted.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Warning);
        accepted[0].Message.Should().Contain(server.ServerCertificate.Thumbprint).And.Contain("RemoteCertificateChainErrors");
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificate_StillEnforcesPins()
    {
        using var otherCa = TestCertificateAuthority.Create("Dangerous pinned");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartDangerousDevelopmentClientAsync(
            server,
            t => t.PinnedPublicKeys.Add(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(fixture.Ca.Root.PublicKey.ExportSubjectPublicKeyInfo()))));

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.PinMismatch);
        host.Services.GetFakeLogCollector().GetSnapshot().Should().NotContain(r => r.Id.Id == 22, "nothing was accepted");
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificate_PinOfAnUnvalidatedIntermediate_IsNotAMatch()
    {
        // Issue 14, item 7: under Dangerous the chain the server sends is validated by nothing, so its intermediate's
        // key (pinned here) must not count; only the leaf's own key may match.
        using var otherCa = TestCertificateAuthority.Create("Dangerous intermediate pin");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartDangerousDevelopmentClientAsync(
            server,
            t => t.PinnedPublicKeys.Add(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(otherCa.Intermediate.PublicKey.ExportSubjectPublicKeyInfo()))));

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.PinMismatch);
        ex.Message.Should().Contain("only the leaf's key is matched");
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificate_LeafPin_IsAccepted()
    {
        using var otherCa = TestCertificateAuthority.Create("Dangerous leaf pin");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartDangerousDevelopmentClientAsync(
            server,
            t => t.PinnedPublicKeys.Add(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(server.ServerCertificate.PublicKey.ExportSubjectPublicKeyInfo()))));

        await ServerTrustTests.RequestAndAssertOkAsync(host, "payments");
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificate_OutsideDevelopment_FailsAtStartup()
    {
        var act = () => MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.ServerTrust.DangerousAcceptAnyServerCertificate = true;
        }));

        var ex = (await act.Should().ThrowAsync<ClientCertificateException>()).Which;
        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("DangerousAcceptAnyServerCertificate").And.Contain("Development");
    }

    private Task<IHost> StartClientAsync(
        MtlsTestServer server,
        bool replaceBuiltInVerdict,
        Func<ServerCertificateValidationContext, ServerCertificateValidationResult> validate) =>
        MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
                o.ServerTrust.ValidatorsReplaceBuiltInVerdict = replaceBuiltInVerdict;
            })
            .AddServerCertificateValidator(validate));

    private Task<IHost> StartDangerousDevelopmentClientAsync(MtlsTestServer server, Action<ServerTrustOptions>? trust = null) =>
        MtlsFixture.StartHostAsync(
            services =>
            {
                services.AddLogging(b => b.AddFakeLogging());
                services.AddClientCertHttpClient("payments", o =>
                {
                    fixture.Configure(o);
                    o.BaseAddress = server.BaseAddress;
                    o.ServerTrust.DangerousAcceptAnyServerCertificate = true;
                    trust?.Invoke(o.ServerTrust);
                });
            },
            environmentName: "Development");

    private static ServerCertificateValidationResult Record(ConcurrentQueue<string> calls, string name, ServerCertificateValidationResult result)
    {
        calls.Enqueue(name);
        return result;
    }

    public sealed record AllowedSubjects(params string[] Subjects);

    public sealed class SubjectAllowListValidator(AllowedSubjects allowed) : IServerCertificateValidator
    {
        public ServerCertificateValidationResult Validate(ServerCertificateValidationContext context) =>
            allowed.Subjects.Contains(context.Certificate.Subject, StringComparer.Ordinal)
                ? ServerCertificateValidationResult.Accept
                : ServerCertificateValidationResult.Reject($"'{context.Certificate.Subject}' is not one of {string.Join(", ", allowed.Subjects)}");
    }
}

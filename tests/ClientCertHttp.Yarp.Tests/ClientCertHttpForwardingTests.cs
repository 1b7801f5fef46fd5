using System.Diagnostics.Metrics;
using System.Net;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Identities;
using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace ClientCertHttp.Yarp.Tests;

/// <summary>
/// A real YARP proxy in front of the Kestrel mTLS test bed: the cluster names a ClientCertHttp client, and the
/// backend (which requires a client certificate and trusts only the test root) reports what it received.
/// </summary>
public sealed class ClientCertHttpForwardingTests : IAsyncLifetime
{
    private const string Password = "Yarp-Pfx-7c1e";
    private const string Client = "backend";

    private readonly ClientCertificateFiles _files = new("ClientCertHttp Yarp", Password);
    private MtlsTestServer _backend = null!;

    public async Task InitializeAsync() => _backend = await MtlsTestServer.StartAsync(_files.Ca, o => o.RequestHandler = RedirectOnRequest);

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task ProxiedRequest_ClusterNamesClient_BackendSeesTheLeafAndItsChain()
    {
        var leaf = IssueAndWrite("CN=yarp-client");
        await using var proxy = await StartProxyAsync(YarpProxy.Cluster(_backend.BaseAddress, Client));

        var report = await proxy.WhoAmIAsync();

        report.Subject.Should().Be("CN=yarp-client");
        report.Thumbprint.Should().Be(leaf);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal([_files.Ca.Intermediate.Thumbprint], "the backend trusts only the root, so the intermediate must be sent");
    }

    [Fact]
    public async Task ProxiedRequest_CertificateFileRotated_NextRequestsPresentTheNewCertificate()
    {
        var first = IssueAndWrite("CN=yarp-before");
        await using var proxy = await StartProxyAsync(YarpProxy.Cluster(_backend.BaseAddress, Client));
        (await proxy.WhoAmIAsync()).Thumbprint.Should().Be(first);

        var second = IssueAndWrite("CN=yarp-after", replace: true);
        var seen = await RenewedPfxFile.WaitForThumbprintAsync(proxy.WhoAmIAsync, second);

        seen.Should().NotBeNull("the renewed file is picked up by the proxy's client without a restart");
        seen!.SessionResumed.Should().BeFalse();
        seen.SentChain.Select(c => c.Thumbprint).Should().Equal(_files.Ca.Intermediate.Thumbprint);
        (await proxy.WhoAmIAsync()).Thumbprint.Should().Be(second, "every later proxied request uses the new certificate");

        // The handler of the new certificate is a copy of YARP's: redirects are still passed through, not followed.
        using var redirect = await proxy.GetAsync("redirect");
        redirect.StatusCode.Should().Be(HttpStatusCode.Found);
        redirect.Headers.Location.Should().Be(new Uri("/elsewhere", UriKind.Relative));
    }

    [Fact]
    public async Task ProxiedRequest_BackendWithUntrustedServerCertificate_Is502WithTheTrustDiagnosis()
    {
        IssueAndWrite("CN=yarp-client");
        using var selfSigned = _files.Ca.CreateSelfSigned("CN=untrusted backend", o =>
        {
            o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid];
            o.IpAddresses = [IPAddress.Loopback];
        });
        await using var untrusted = await MtlsTestServer.StartAsync(_files.Ca, o =>
        {
            o.ServerCertificate = selfSigned;
            o.SendServerIntermediate = false;
        });
        await using var proxy = await StartProxyAsync(YarpProxy.Cluster(untrusted.BaseAddress, Client));
        using var rejections = new MetricCollector<long>(proxy.Services.GetRequiredService<IMeterFactory>(), ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.ServerCertificateRejections);

        using var response = await proxy.GetAsync("whoami");

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        untrusted.Reports.Should().BeEmpty("nothing reached the untrusted backend");
        var (error, exception) = proxy.Errors.Should().ContainSingle().Which;
        error.Should().Be(ForwarderError.Request);
        var failure = exception.Should().BeOfType<ClientCertHttpRequestException>().Which;
        failure.ClientName.Should().Be(Client);
        failure.Reason.Should().Be(ClientCertificateFailureReason.ServerCertificateRejected);
        failure.Classification.Category.Should().Be(HttpFailureCategory.ServerCertificateRejected);
        failure.Attempts.Should().Be(1, "a proxied request is forwarded once");
        failure.Message.Should().Contain(nameof(ServerCertificateFailureReason.UntrustedRoot)).And.Contain("Diagnosis:");
        failure.Diagnosis.Should().NotBeNull();
        proxy.Logs.GetSnapshot().Should().Contain(r => r.Id.Name == "ServerCertificateRejected" && r.Message.Contains("CN=untrusted backend", StringComparison.Ordinal) && r.Message.Contains(nameof(ServerCertificateFailureReason.UntrustedRoot), StringComparison.Ordinal));
        rejections.GetMeasurementSnapshot().Should().ContainSingle()
            .Which.Tags[ClientCertHttpMetrics.ServerCertificateFailureReasonTag].Should().Be("untrusted_root");
    }

    [Fact]
    public async Task StartAsync_ClusterNamesAnUnknownClient_FailsNamingTheClusterAndTheClient()
    {
        IssueAndWrite("CN=yarp-client");

        var act = () => StartProxyAsync(YarpProxy.Cluster(_backend.BaseAddress, "bakend"));

        var thrown = (await act.Should().ThrowAsync<Exception>()).Which;
        var problem = Flatten(thrown).OfType<ClientCertificateException>().Should().ContainSingle().Which;
        problem.ClientName.Should().Be("bakend");
        problem.Message.Should().Contain("YARP cluster 'backend-cluster'").And.Contain("'bakend'").And.Contain("registered: 'backend'");
    }

    [Fact]
    public async Task StartAsync_ClusterAcceptsAnyServerCertificate_FailsBecauseTheClientOwnsServerTrust()
    {
        IssueAndWrite("CN=yarp-client");

        var act = () => StartProxyAsync(YarpProxy.Cluster(_backend.BaseAddress, Client, new HttpClientConfig { DangerousAcceptAnyServerCertificate = true }));

        var thrown = (await act.Should().ThrowAsync<Exception>()).Which;
        var problem = Flatten(thrown).OfType<ClientCertificateException>().Should().ContainSingle().Which;
        problem.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        problem.Message.Should().Contain("YARP cluster 'backend-cluster'").And.Contain("DangerousAcceptAnyServerCertificate");
    }

    [Fact]
    public async Task ProxiedRequest_ClusterWithoutMetadata_IsForwardedByYarpWithoutACertificate()
    {
        IssueAndWrite("CN=yarp-client");
        await using var optional = await MtlsTestServer.StartAsync(_files.Ca, o => o.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate);
        // YARP's own client validates with the platform's trust store, which does not know the run-time root.
        await using var proxy = await StartProxyAsync(YarpProxy.Cluster(optional.BaseAddress, clientName: null));

        using var response = await proxy.GetAsync("whoami");

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        proxy.Errors.Should().ContainSingle().Which.Exception.Should().NotBeOfType<ClientCertHttpRequestException>("the cluster is not a ClientCertHttp cluster");
    }

    [Fact]
    public async Task ProxiedRequest_PerIdentityClient_TransformNamesTheIdentity_BackendSeesThatTenantsCertificate()
    {
        var tenants = new Dictionary<string, string>();
        foreach (var tenant in new[] { "tenant-a", "tenant-b" })
        {
            using var leaf = _files.Ca.IssueClientCertificate($"CN=yarp-{tenant}");
            _files.Ca.WritePfx(_files.Temp.Combine($"{tenant}.pfx"), leaf, Password);
            tenants[tenant] = leaf.Thumbprint;
        }

        // The proxy forwards each request with the certificate of the tenant its X-Tenant header names.
        await using var proxy = await YarpProxy.StartAsync(
            YarpProxy.Cluster(_backend.BaseAddress, "tenants"),
            services => services.AddClientCertHttpClient("tenants", o =>
            {
                foreach (var tenant in tenants.Keys)
                {
                    o.Identities.Certificates[tenant] = new ClientCertificateOptions { Path = _files.Temp.Combine($"{tenant}.pfx"), Password = Password };
                }

                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = _files.RootPemPath;
            }),
            reverseProxy => reverseProxy.AddTransforms(transforms => transforms.AddRequestTransform(context =>
            {
                if (context.HttpContext.Request.Headers["X-Tenant"].ToString() is { Length: > 0 } tenant)
                {
                    context.ProxyRequest.SetClientCertificateIdentity(tenant);
                }

                return ValueTask.CompletedTask;
            })));

        for (var i = 0; i < 4; i++)
        {
            var tenant = i % 2 == 0 ? "tenant-a" : "tenant-b";
            var report = await proxy.WhoAmIAsync("X-Tenant", tenant);
            report.Thumbprint.Should().Be(tenants[tenant], $"request {i} named {tenant}");
            report.SentChain.Select(c => c.Thumbprint).Should().Equal(_files.Ca.Intermediate.Thumbprint);
        }

        var unknown = await proxy.GetAsync("whoami");
        unknown.StatusCode.Should().Be(HttpStatusCode.BadGateway, "a request that names no identity is never sent without a certificate");
        proxy.Errors.Should().ContainSingle().Which.Exception.Should().BeOfType<ClientCertificateException>()
            .Which.Reason.Should().Be(ClientCertificateFailureReason.IdentityRequired);
    }

    private Task<YarpProxy> StartProxyAsync(ClusterConfig cluster) =>
        YarpProxy.StartAsync(cluster, services => services.AddClientCertHttpClient(Client, o =>
        {
            o.Certificate.Path = _files.Pfx.Path;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = _files.RootPemPath;
            o.Reload.PollInterval = TimeSpan.FromMilliseconds(200);
        }));

    private string IssueAndWrite(string subject, bool replace = false) => _files.Pfx.IssueAndWrite(subject, replace);

    private static async Task<bool> RedirectOnRequest(Microsoft.AspNetCore.Http.HttpContext context)
    {
        if (context.Request.Path != "/redirect")
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Found;
        context.Response.Headers.Location = "/elsewhere";
        await context.Response.CompleteAsync();
        return true;
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : (IEnumerable<Exception>)(exception.InnerException is { } one ? [one] : []);
        foreach (var child in inner.SelectMany(Flatten))
        {
            yield return child;
        }
    }

    private static class StatusCodes
    {
        public const int Found = 302;
    }
}

using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Tool.Tests;

/// <summary>
/// A Kestrel server that behaves like nginx with <c>ssl_verify_client optional</c>: it asks for a client certificate
/// (<see cref="ClientCertificateMode.AllowCertificate"/>) but completes the handshake without one, and then answers
/// HTTP 400 with nginx's page "No required SSL certificate was sent". A certificate that chains to the CA's root is
/// answered 200.
/// </summary>
public sealed class NginxLikeServer : IAsyncDisposable
{
    private const string NoCertificatePage = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

    private readonly WebApplication _app;
    private readonly X509Certificate2 _serverCertificate;

    private NginxLikeServer(WebApplication app, X509Certificate2 serverCertificate)
    {
        _app = app;
        _serverCertificate = serverCertificate;
    }

    public Uri Address { get; private set; } = null!;

    public static async Task<NginxLikeServer> StartAsync(TestCertificateAuthority ca)
    {
        var serverCertificate = ca.IssueServerCertificate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ServerCertificateChain = [ca.Intermediate];
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (certificate, chain, _) => ChainsTo(ca.Root, certificate, chain?.ChainPolicy.ExtraStore);
        })));
        var app = builder.Build();
        app.Run(async context =>
        {
            if (context.Connection.ClientCertificate is null)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync(NoCertificatePage);
                return;
            }

            await context.Response.WriteAsync("hello " + context.Connection.ClientCertificate.Subject);
        });

        var server = new NginxLikeServer(app, serverCertificate);
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        server.Address = new Uri($"https://localhost:{bound.Port}/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _serverCertificate.Dispose();
    }

    /// <summary>Validates with the intermediates the client sent (SslStream puts them in the chain's ExtraStore).</summary>
    private static bool ChainsTo(X509Certificate2 root, X509Certificate2 certificate, X509Certificate2Collection? sent)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.AddRange(sent ?? []);
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Published with Native AOT by .ci/run, then run: a real mutual-TLS call through the library, with certificates
// minted here at run time, against a local server on 127.0.0.1 that requires a client certificate. Exit code 0 only
// when the server saw the client's leaf and its intermediate, and a wrong password failed startup with the typed error.
var started = Stopwatch.GetTimestamp();
const string Password = "Aot-Pfx-3f81";
var folder = Directory.CreateTempSubdirectory("clientcerthttp-aot-");
try
{
    using var ca = MiniCa.Create();
    using var clientLeaf = ca.Issue("CN=aot-client", serverAuth: false);
    using var serverLeaf = ca.Issue("CN=127.0.0.1", serverAuth: true);
    var pfxPath = Path.Combine(folder.FullName, "client.pfx");
    var rootPath = Path.Combine(folder.FullName, "root.pem");
    using var intermediate = X509CertificateLoader.LoadCertificate(ca.Intermediate.RawData);
    var pfx = new X509Certificate2Collection { clientLeaf, intermediate }.Export(X509ContentType.Pkcs12, Password)!;
    await File.WriteAllBytesAsync(pfxPath, pfx);
    await File.WriteAllTextAsync(rootPath, ca.Root.ExportCertificatePem());

    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    var server = MiniServer.RunAsync(listener, serverLeaf, ca, stop.Token);

    var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Clients:aot:BaseAddress"] = $"https://127.0.0.1:{port}/",
        ["Clients:aot:Certificate:Path"] = pfxPath,
        ["Clients:aot:Certificate:Password"] = Password,
        ["Clients:aot:ServerTrust:Mode"] = "CustomRoots",
        ["Clients:aot:ServerTrust:RootCertificatesPath"] = rootPath,
        ["Clients:aot:Retry:MaxRetryAttempts"] = "2",
    }).Build();

    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Services.AddClientCertHttpClient("aot", configuration.GetSection("Clients:aot"));
    using var host = builder.Build();
    await host.StartAsync();
    using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("aot");
    var seen = await client.GetStringAsync(new Uri("whoami", UriKind.Relative));
    var elapsed = Stopwatch.GetElapsedTime(started);
    await host.StopAsync();

    var expected = $"{clientLeaf.Thumbprint} {ca.Intermediate.Thumbprint}";
    Console.WriteLine($"server saw: {seen}");
    Console.WriteLine($"start to first mTLS response: {elapsed.TotalMilliseconds:F0} ms");
    if (seen != expected)
    {
        Console.Error.WriteLine($"FAIL: expected the leaf and the intermediate ({expected}).");
        return 1;
    }

    // A wrong password: the typed startup error, naming the file and never the password.
    var broken = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    broken.Services.AddClientCertHttpClient("aot", o =>
    {
        o.Certificate.Path = pfxPath;
        o.Certificate.Password = "not-the-password";
    });
    using var brokenHost = broken.Build();
    try
    {
        await brokenHost.StartAsync();
        Console.Error.WriteLine("FAIL: a wrong password started the host.");
        return 1;
    }
    catch (ClientCertificateException ex) when (ex.Reason == ClientCertificateFailureReason.WrongPassword
        && ex.Message.Contains(pfxPath, StringComparison.Ordinal)
        && !ex.Message.Contains("not-the-password", StringComparison.Ordinal))
    {
        Console.WriteLine($"wrong password: {ex.Reason}");
    }

    await stop.CancelAsync();
    await server;
    Console.WriteLine("PASS");
    return 0;
}
finally
{
    folder.Delete(recursive: true);
}

/// <summary>A run-time CA: root, intermediate, leaves; nothing is written but what the program exports.</summary>
internal sealed class MiniCa : IDisposable
{
    private MiniCa(X509Certificate2 root, X509Certificate2 intermediate)
    {
        Root = root;
        Intermediate = intermediate;
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public static MiniCa Create()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=ClientCertHttp AOT Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ClientCertHttp AOT Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var issued = request.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(16));
        return new MiniCa(root, issued.CopyWithPrivateKey(intermediateKey));
    }

    public X509Certificate2 Issue(string subject, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate, true, false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        using var issued = request.Create(Intermediate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);

        // Through PKCS#12, so the key is a persisted one that TLS can use on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "x"), "x");
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
    }
}

/// <summary>
/// A minimal HTTPS server that requires a client certificate chaining to the CA's root, and answers each request
/// with the thumbprints of the certificates the client sent.
/// </summary>
internal static class MiniServer
{
    public static async Task RunAsync(TcpListener listener, X509Certificate2 certificate, MiniCa ca, CancellationToken cancellationToken)
    {
        var context = SslStreamCertificateContext.Create(certificate, [ca.Intermediate], offline: true);
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = ServeAsync(connection, context, ca, cancellationToken);
        }
    }

    private static async Task ServeAsync(TcpClient connection, SslStreamCertificateContext context, MiniCa ca, CancellationToken cancellationToken)
    {
        using (connection)
        {
            string? sent = null;
            await using var tls = new SslStream(connection.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = context,
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = (_, leaf, chain, _) =>
                        {
                            if (leaf is not X509Certificate2 presented || chain is null)
                            {
                                return false;
                            }

                            // Trust only the CA's root; the intermediate must come from the client's Certificate message.
                            using var verify = new X509Chain();
                            verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                            verify.ChainPolicy.CustomTrustStore.Add(ca.Root);
                            verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                            verify.ChainPolicy.DisableCertificateDownloads = true;
                            verify.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
                            var intermediates = chain.ChainPolicy.ExtraStore.Where(c => c.Thumbprint != presented.Thumbprint).Select(c => c.Thumbprint);
                            sent = string.Join(" ", intermediates.Prepend(presented.Thumbprint));
                            return verify.Build(presented) && verify.ChainElements.Count == 3;
                        },
                    },
                    cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException)
            {
                return;
            }

            var buffer = new byte[4096];
            var request = new StringBuilder();
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await tls.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            var body = Encoding.ASCII.GetBytes(sent ?? string.Empty);
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await tls.WriteAsync(head, cancellationToken);
            await tls.WriteAsync(body, cancellationToken);
        }
    }
}

using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp;
using ClientCertHttp.Certificates;

namespace ClientCertHttp.VaultProviderSample;

/// <summary>
/// A custom <see cref="ICertificateProvider"/> that fetches a client's certificate from a vault-like HTTP API:
/// <c>GET /v1/secret/mtls/{client}</c> returning <c>{ "pfx": "&lt;base64&gt;" }</c>. A real provider would talk to
/// HashiCorp Vault, Azure Key Vault or AWS Secrets Manager the same way.
/// </summary>
public sealed class VaultCertificateProvider(IHttpClientFactory httpClientFactory) : ICertificateProvider
{
    /// <summary>The name of the plain <see cref="HttpClient"/> that talks to the vault.</summary>
    public const string VaultClientName = "vault";

    /// <inheritdoc/>
    public async ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var vault = httpClientFactory.CreateClient(VaultClientName);
        var secret = await vault.GetFromJsonAsync<VaultSecret>(new Uri($"v1/secret/mtls/{Uri.EscapeDataString(context.ClientName)}", UriKind.Relative), cancellationToken)
            .ConfigureAwait(false);
        if (secret?.Pfx is null)
        {
            return null;
        }

        // The bundle takes the leaf (with its key) and the intermediates; ClientCertHttp owns and disposes them.
        return new ClientCertificateBundle(X509CertificateLoader.LoadPkcs12Collection(Convert.FromBase64String(secret.Pfx), password: null));
    }

    private sealed record VaultSecret(string? Pfx);
}

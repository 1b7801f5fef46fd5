using ClientCertHttp.Certificates;
using Microsoft.Extensions.Primitives;

namespace ClientCertHttp.Identities;

/// <summary>
/// One identity of an <see cref="IClientCertificateIdentityProvider"/>, seen as the <see cref="ICertificateProvider"/>
/// of that identity's source, so the provider machinery (timeout, change tokens, backoff, disposal) serves identities
/// unchanged.
/// </summary>
internal sealed class IdentityCertificateProvider(IClientCertificateIdentityProvider provider, string clientName, string identity) : ICertificateProvider
{
    public IClientCertificateIdentityProvider Inner => provider;

    public async ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken) =>
        await provider.GetCertificateAsync(identity, cancellationToken).ConfigureAwait(false)
        ?? throw ClientCertificateIdentityPool.Unknown(clientName, identity, $"the identity provider {provider.GetType().FullName} does not know it (it returned null)");

    public IChangeToken GetChangeToken(CertificateProviderContext context) => provider.GetChangeToken(identity) ?? NeverChangeToken.Instance;
}

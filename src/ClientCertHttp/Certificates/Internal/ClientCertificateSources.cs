using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Certificates;

/// <summary>Finds the <see cref="ClientCertificateSource"/> of a client by name, for the services that take a client name.</summary>
internal sealed class ClientCertificateSources(ClientCertHttpClientRegistry registry, IServiceProvider services)
{
    /// <summary>Gets the source of a registered client.</summary>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is not a client-certificate client.</exception>
    public ClientCertificateSource Get(string clientName)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientName);
        if (!registry.Contains(clientName))
        {
            throw new ArgumentException($"'{clientName}' is not an HTTP client registered with AddClientCertHttpClient or AddClientCertificate.", nameof(clientName));
        }

        return services.GetRequiredKeyedService<ClientCertificateSource>(clientName);
    }

    /// <summary>Gets the identities of a registered client (empty unless it is a per-identity client).</summary>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is not a client-certificate client.</exception>
    public ClientCertHttp.Identities.ClientCertificateIdentityPool GetIdentities(string clientName)
    {
        Get(clientName);
        return services.GetRequiredKeyedService<ClientCertHttp.Identities.ClientCertificateIdentityPool>(clientName);
    }

    /// <summary>Gets the identity pools of the started clients.</summary>
    public IEnumerable<ClientCertHttp.Identities.ClientCertificateIdentityPool> StartedIdentities()
    {
        foreach (var source in Started())
        {
            yield return services.GetRequiredKeyedService<ClientCertHttp.Identities.ClientCertificateIdentityPool>(source.ClientName);
        }
    }

    /// <summary>Gets the sources whose first load succeeded, in registration order.</summary>
    public IEnumerable<ClientCertificateSource> Started()
    {
        foreach (var name in registry.Names)
        {
            var source = services.GetRequiredKeyedService<ClientCertificateSource>(name);
            if (source.IsStarted)
            {
                yield return source;
            }
        }
    }
}

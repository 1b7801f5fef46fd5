using System.Security.Authentication;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Tests.Diagnostics;

/// <summary>
/// The tag values of the TLS metrics are constants, one per enum member: a member added later without its value
/// fails here instead of being reported as "other".
/// </summary>
public sealed class MetricTagValueTests
{
    [Fact]
    public void TagValue_EveryFailureCategory_HasItsOwnSnakeCaseValue()
    {
        var values = Enum.GetValues<HttpFailureCategory>().Select(ClientCertHttpInstruments.TagValue).ToList();

        values.Should().OnlyHaveUniqueItems().And.NotContain("other").And.OnlyContain(v => System.Text.RegularExpressions.Regex.IsMatch(v, "^[a-z0-9_]+$"));
        ClientCertHttpInstruments.TagValue(HttpFailureCategory.ClientCertificateRejected).Should().Be("client_certificate_rejected");
    }

    [Fact]
    public void TagValue_EveryServerCertificateFailureReason_HasItsOwnSnakeCaseValue()
    {
        var values = Enum.GetValues<ServerCertificateFailureReason>().Select(ClientCertHttpInstruments.TagValue).ToList();

        values.Should().OnlyHaveUniqueItems().And.NotContain("other").And.OnlyContain(v => System.Text.RegularExpressions.Regex.IsMatch(v, "^[a-z0-9_]+$"));
        ClientCertHttpInstruments.TagValue(ServerCertificateFailureReason.UntrustedRoot).Should().Be("untrusted_root");
    }

    [Theory]
    [InlineData("bad certificate", "bad_certificate")]
    [InlineData("unsupported certificate", "unsupported_certificate")]
    [InlineData("certificate revoked", "certificate_revoked")]
    [InlineData("certificate expired", "certificate_expired")]
    [InlineData("certificate unknown", "certificate_unknown")]
    [InlineData("unknown ca", "unknown_ca")]
    [InlineData("access denied", "access_denied")]
    [InlineData("certificate required", "certificate_required")]
    [InlineData(null, "none")]
    public void AlertTagValue_CertificateAlert_IsTheRfc8446Name(string? alert, string expected)
    {
        if (alert is not null)
        {
            HttpFailureClassifier.IsCertificateAlert(alert).Should().BeTrue("only the classifier's certificate alerts reach the tag");
        }

        ClientCertHttpInstruments.AlertTagValue(alert).Should().Be(expected);
    }

    [Fact]
    public void AlertTagValue_TextNotAnAlert_IsOther()
    {
        ClientCertHttpInstruments.AlertTagValue("something the server made up").Should().Be("other", "the tag's values stay a closed set");
    }

    [Theory]
    [InlineData("Tls13", "1.3")]
    [InlineData("Tls12", "1.2")]
    public void TagValue_TlsVersion_IsTheVersionNumber(string protocol, string expected)
    {
        // Parsed, not named: the protocols are only labels here (CA5398 guards code that chooses one).
        ClientCertHttpInstruments.TagValue(Enum.Parse<SslProtocols>(protocol)).Should().Be(expected);
    }
}

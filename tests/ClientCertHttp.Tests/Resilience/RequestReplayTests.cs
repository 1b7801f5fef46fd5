using System.Net.Http.Json;
using ClientCertHttp.Resilience;

namespace ClientCertHttp.Tests.Resilience;

public sealed class RequestReplayTests
{
    public static TheoryData<string, bool> Methods => new()
    {
        { "GET", true }, { "HEAD", true }, { "OPTIONS", true }, { "TRACE", true }, { "PUT", true }, { "DELETE", true },
        { "POST", false }, { "PATCH", false }, { "CONNECT", false }, { "PROPFIND", false },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void IsIdempotent_Method_FollowsRfc9110(string method, bool expected)
        => RequestReplay.IsIdempotent(new HttpMethod(method)).Should().Be(expected);

    [Fact]
    public void IsReplayable_InMemoryContents_AreReplayable()
    {
        using var bytes = new ByteArrayContent([1]);
        using var text = new StringContent("x");
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("a", "b")]);
        using var memory = new ReadOnlyMemoryContent(new byte[] { 1 });
        using var json = JsonContent.Create(new { Amount = 1 });
        using var part = new StringContent("x");
        using var multipart = new MultipartFormDataContent { { part, "field" } };

        new HttpContent[] { bytes, text, form, memory, json, multipart }.Should().OnlyContain(c => RequestReplay.IsReplayable(c));
    }

    [Fact]
    public void IsReplayable_StreamContentAlsoInsideMultipart_IsNotReplayable()
    {
        using var stream = new StreamContent(new MemoryStream([1]));
        using var file = new StreamContent(new MemoryStream([1]));
        using var text = new StringContent("x");
        using var multipart = new MultipartFormDataContent { { text, "field" }, { file, "file", "a.bin" } };

        RequestReplay.IsReplayable(stream).Should().BeFalse();
        RequestReplay.IsReplayable(multipart).Should().BeFalse();
    }

    [Fact]
    public void Check_PostOptedIn_IsAllowed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.test/") { Content = new StringContent("{}") };

        RequestReplay.Check(request, allowNonIdempotentMethods: false).Should().Contain("POST is not idempotent");
        RequestReplay.Check(request, allowNonIdempotentMethods: true).Should().BeNull();
    }
}

// STAND-IN for VNPT's SDKVXP 2.0.1, in Java, for tests only (not part of Lienthong).
//
// It makes the SDK's HTTP calls with the libraries the SDK uses (java.util.HashMap for the
// header map, Gson's JsonObject for XroadVnpt-sign-header, commons-codec Hex for the HMAC,
// Apache HttpClient 4 with the map as default headers and Expect: 100-continue for the JSON
// calls, HttpURLConnection writing the file + CRLF for sendEdoc), written from the
// decompiled SDK classes. One object lives for the whole run, so keys of earlier calls
// ride along on later ones and the timestamp is the one set at start, as in the SDK.
//
// Usage: java VxpSdkCall ENDPOINT SYSTEMID SECRET; then one command per stdin line:
//   OPERATION <TAB> JSON-HEADERS [<TAB> FILE (sendEdoc) | <TAB> DATA (registerAgency)]
// Each answer body is printed on one line of stdout.
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.commons.codec.binary.Hex;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.NameValuePair;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.entity.UrlEncodedFormEntity;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.StringEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.message.BasicHeader;
import org.apache.http.util.EntityUtils;

public class VxpSdkCall {
  private final HashMap<String, String> headers = new HashMap<>();
  private final String endpoint;
  private final String secret;

  VxpSdkCall(String endpoint, String systemId, String secret) {
    this.endpoint = endpoint;
    this.secret = secret;
    headers.put("timestamp", new SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS").format(new Date()));
    headers.put("systemid", systemId);
  }

  private void take(String json, boolean rawTo) {
    JsonObject object = JsonParser.parseString(json).getAsJsonObject();
    for (Map.Entry<String, JsonElement> e : object.entrySet()) {
      boolean raw = rawTo && e.getKey().equals("to");
      headers.put(e.getKey(), raw ? e.getValue().toString() : e.getValue().getAsString());
    }
  }

  private List<Header> signedHeaders() throws Exception {
    List<Header> out = new ArrayList<>();
    JsonObject signed = new JsonObject();
    StringBuilder keys = new StringBuilder();
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equals("Content-Type")) {
        out.add(new BasicHeader("Content-Type", e.getValue()));
      }
      signed.addProperty("XroadVnpt-" + e.getKey(), e.getValue());
      out.add(new BasicHeader("XroadVnpt-" + e.getKey(), e.getValue()));
      keys.append(keys.length() > 0 ? ";" : "").append(e.getKey());
    }
    String signHeader = signed.toString();
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes("UTF-8"), "HmacSHA256"));
    String hash = Hex.encodeHexString(mac.doFinal(signHeader.getBytes("UTF-8")));
    out.add(new BasicHeader("XroadVnpt-sign-header-key", keys.toString()));
    out.add(new BasicHeader("XroadVnpt-sign-header", signHeader));
    out.add(new BasicHeader("XroadVnpt-hash-header", hash));
    out.add(new BasicHeader("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP"));
    out.add(new BasicHeader("XroadVnpt-version", "3.0.201608"));
    return out;
  }

  private String post(String operation, HttpEntity entity) throws Exception {
    RequestConfig config = RequestConfig.custom().setExpectContinueEnabled(true).build();
    try (CloseableHttpClient client =
        HttpClients.custom()
            .setDefaultHeaders(signedHeaders())
            .setDefaultRequestConfig(config)
            .build()) {
      HttpPost post = new HttpPost(endpoint + "/" + operation);
      post.setEntity(entity);
      try (CloseableHttpResponse response = client.execute(post)) {
        return EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
      }
    }
  }

  private String sendFile(String operation, byte[] file) throws Exception {
    HttpURLConnection conn = (HttpURLConnection) new URL(endpoint + "/" + operation).openConnection();
    conn.setUseCaches(false);
    conn.setDoOutput(true);
    conn.setDoInput(true);
    conn.setRequestProperty("Content-Type", "multipart/form-data; boundary===="
        + System.currentTimeMillis() + "===");
    for (Header h : signedHeaders()) {
      conn.setRequestProperty(h.getName(), h.getValue());
    }
    try (OutputStream out = conn.getOutputStream()) {
      out.write(file);
      out.write("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    int status = conn.getResponseCode();
    InputStream in = status == 200 || status == 201 ? conn.getInputStream() : conn.getErrorStream();
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  private static String hashFile(byte[] file) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(file);
    StringBuilder hex = new StringBuilder();
    for (byte b : digest) {
      hex.append(Integer.toHexString(0xFF & b));
    }
    return hex.toString();
  }

  String call(String operation, String json, String extra) throws Exception {
    switch (operation) {
      case "sendEdoc":
        headers.put("Content-Type", "application/octet-stream");
        take(json, true);
        byte[] file = Files.readAllBytes(Paths.get(extra));
        headers.put("hash-file", hashFile(file));
        return sendFile(operation, file);
      case "getReceivedEdocList":
      case "getSentEdocList":
      case "getAgenciesList":
      case "getAgenciesListQD20":
      case "getSynchronizeUnit":
        headers.put("Content-Type", "application/json");
        take(json, false);
        return post(operation, new UrlEncodedFormEntity(new ArrayList<NameValuePair>()));
      case "registerAgency":
        headers.put("Content-Type", "application/json");
        take(json, false);
        return post(operation, new StringEntity(extra, ContentType.APPLICATION_JSON));
      default: // getEdoc, updateStatus, countReceiveEdoc, countReceiveStatus, deleteAgency
        headers.put("Content-Type", "application/json");
        take(json, false);
        return post(operation, new StringEntity("{}"));
    }
  }

  public static void main(String[] args) throws Exception {
    VxpSdkCall sdk = new VxpSdkCall(args[0], args[1], args[2]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] parts = line.split("\t", 3);
      String answer = sdk.call(parts[0], parts[1], parts.length > 2 ? parts[2] : null);
      System.out.println(answer.replace("\n", ""));
      System.out.flush();
    }
  }
}
